#include "service/runtime/containerplan.h"

#include "service/runtime/launchplan.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QUrl>

#include <cmath>

namespace Kiln::Runtime {

QString requestedRuntime(const Etl::InitMsg &msg)
{
    if (msg.kind == Etl::InitKind::PodSpec) {
        const auto it = msg.pod.annotations.constFind(QLatin1String(RuntimeAnnotation));
        if (it != msg.pod.annotations.constEnd())
            return it.value().trimmed().toLower();
    }
    QString value;
    for (const Etl::EnvVar &v : msg.allEnv()) {
        if (v.name == QLatin1String(RuntimeEnvVar))
            value = v.value.trimmed().toLower();
    }
    return value;
}

QStringList ContainerPlan::runArguments() const
{
    QStringList a{"run", "-d", "--name", name};
    for (const QString &l : labels)
        a << "--label" << l;
    a << "--publish" << QStringLiteral("127.0.0.1::%1").arg(containerPort);
    // AIS_TARGET_URL names the host as host.docker.internal (hpull reads from the target).
    a << "--add-host"
      << "host.docker.internal:host-gateway";
    if (!cpus.isEmpty())
        a << "--cpus" << cpus;
    if (!memory.isEmpty())
        a << "--memory" << memory;
    for (const auto &[k, v] : env)
        a << "--env" << k + '=' + v;
    if (!entrypoint.isEmpty())
        a << "--entrypoint" << entrypoint;
    a << image << arguments;
    return a;
}

namespace {

// The container's --cpus and --memory: the pod's limits, else the message's resources.
Result<void> applyLimits(const Etl::InitMsg &msg, ContainerPlan &plan)
{
    const QString cpu = msg.cpuLimit();
    const QString mem = msg.memoryLimit();
    if (!cpu.isEmpty()) {
        const auto cores = Etl::parseCpuQuantity(cpu);
        if (!cores)
            return makeError(
                ErrorCode::InvalidArgument,
                QStringLiteral("ETL %1: cpu limit \"%2\" is not a quantity").arg(msg.name, cpu));
        plan.cpus = QString::number(*cores, 'g', 6);
    }
    if (!mem.isEmpty()) {
        const auto bytes = Etl::parseMemoryQuantity(mem);
        if (!bytes)
            return makeError(
                ErrorCode::InvalidArgument,
                QStringLiteral("ETL %1: memory limit \"%2\" is not a quantity").arg(msg.name, mem));
        plan.memory = QString::number(*bytes);
    }
    return {};
}

} // namespace

Result<ContainerPlan> planContainerLaunch(const InstanceSpec &spec)
{
    const Etl::InitMsg &msg = spec.msg;
    if (msg.kind == Etl::InitKind::Code)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("ETL %1: init code runs as a local process, not in a "
                                        "container")
                             .arg(msg.name));
    if (msg.comm == Etl::CommType::Io)
        return makeError(
            ErrorCode::InvalidArgument,
            QStringLiteral("ETL %1: io:// has no server to run in a container").arg(msg.name));
    ContainerPlan plan;
    plan.image = msg.effectiveImage();
    QString target = spec.targetId.toLower();
    target.replace(QRegularExpression("[^a-z0-9_.-]"), "-");
    plan.name = QStringLiteral("kiln-%1-%2-%3")
                    .arg(msg.name, target)
                    .arg(QRandomGenerator::global()->bounded(0x10000), 4, 16, QChar('0'));
    plan.labels = {"kiln.etl=" + msg.name, "kiln.target=" + spec.targetId};

    // The target listens on loopback; from a container the host is host.docker.internal.
    QUrl targetUrl(spec.aisTargetUrl);
    if (targetUrl.host() == "127.0.0.1" || targetUrl.host() == "localhost")
        targetUrl.setHost("host.docker.internal");
    QProcessEnvironment env; // only what the pod would get, not the target's own environment
    const auto put = [&](const QString &k, const QString &v) {
        env.insert(k, v);
        plan.env.removeIf([&](const auto &e) { return e.first == k; });
        plan.env.append({k, v});
    };
    put("AIS_TARGET_URL", targetUrl.toString());
    put("direct_put", msg.supportDirectPut ? "true" : "false");
    put("DIRECT_PUT", msg.supportDirectPut ? "true" : "false");
    QStringList command, args;
    if (msg.kind == Etl::InitKind::PodSpec) {
        for (const Etl::EnvVar &v : msg.pod.env) {
            if (!v.fromField)
                put(v.name, expandKubeVars(v.value, env));
        }
        command = msg.pod.command;
        args = msg.pod.args;
        if (msg.pod.containerPort > 0)
            plan.containerPort = msg.pod.containerPort;
        if (!msg.pod.probePath.isEmpty())
            plan.probePath = msg.pod.probePath;
    } else {
        command = msg.command;
    }
    for (const Etl::EnvVar &v : msg.env + msg.runtimeEnv)
        put(v.name, expandKubeVars(v.value, env));
    if (auto limited = applyLimits(msg, plan); !limited)
        return limited.error();
    for (QString &c : command)
        c = expandKubeVars(c, env);
    for (QString &c : args)
        c = expandKubeVars(c, env);
    if (!command.isEmpty())
        plan.entrypoint = command.takeFirst();
    plan.arguments = command + args;
    return plan;
}

int parsePublishedPort(const QByteArray &output)
{
    for (const QByteArray &line : output.split('\n')) {
        const QByteArray l = line.trimmed();
        if (l.startsWith("127.0.0.1:") || l.startsWith("0.0.0.0:")) {
            bool ok = false;
            const int port = l.mid(l.lastIndexOf(':') + 1).toInt(&ok);
            if (ok && port > 0)
                return port;
        }
    }
    return 0;
}

namespace {

// "12.5MiB", "1.2GB", "512kB", "0B" -> bytes.
qint64 parseStatsSize(QString text)
{
    text = text.trimmed();
    static const QList<QPair<QString, double>> units{{"KiB", 1024.0},
                                                     {"MiB", 1024.0 * 1024},
                                                     {"GiB", 1024.0 * 1024 * 1024},
                                                     {"TiB", 1099511627776.0},
                                                     {"kB", 1e3},
                                                     {"KB", 1e3},
                                                     {"MB", 1e6},
                                                     {"GB", 1e9},
                                                     {"TB", 1e12},
                                                     {"B", 1.0}};
    // What the engine printed, in bytes; a value beyond qint64 (or not a number) is 0 rather
    // than an undefined cast.
    auto bytes = [](double v) {
        return std::isfinite(v) && v >= 0 && v < 9223372036854775807.0 ? qint64(v) : 0;
    };
    for (const auto &[unit, factor] : units) {
        if (text.endsWith(unit))
            return bytes(text.chopped(unit.size()).toDouble() * factor);
    }
    return bytes(text.toDouble());
}

} // namespace

std::optional<ContainerStats> parseContainerStats(const QByteArray &jsonLine)
{
    const QJsonObject o = QJsonDocument::fromJson(jsonLine.trimmed()).object();
    if (!o.contains("CPUPerc") || !o.contains("MemUsage"))
        return std::nullopt;
    ContainerStats s;
    QString cpu = o.value("CPUPerc").toString().trimmed();
    if (cpu.endsWith('%'))
        cpu.chop(1);
    s.cpuCores = cpu.toDouble() / 100.0;
    s.memBytes = parseStatsSize(o.value("MemUsage").toString().section('/', 0, 0));
    return s;
}

} // namespace Kiln::Runtime
