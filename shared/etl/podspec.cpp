#include "shared/etl/podspec.h"

#include "shared/core/duration.h"

#include <yaml-cpp/yaml.h>

#include <cmath>

namespace Kiln::Etl {
namespace {

int lineOf(const YAML::Node &node)
{
    return node.Mark().is_null() ? 0 : node.Mark().line + 1;
}

QString str(const YAML::Node &node)
{
    return QString::fromStdString(node.as<std::string>());
}

// Collects issues while walking the document; each accessor records what it could not read.
class Walker
{
public:
    QList<SpecIssue> issues;
    PodSpec spec;

    void add(const QString &field, const YAML::Node &at, const QString &message)
    {
        issues.append(SpecIssue{field, at ? lineOf(at) : 0, message});
    }

    bool isScalar(const YAML::Node &node, const QString &field)
    {
        if (node.IsScalar())
            return true;
        add(field, node, QStringLiteral("must be a single value"));
        return false;
    }

    std::optional<int> integer(const YAML::Node &node, const QString &field, int min, int max)
    {
        if (!isScalar(node, field))
            return std::nullopt;
        bool ok = false;
        const int v = str(node).toInt(&ok);
        if (!ok || v < min || v > max) {
            add(field, node,
                QStringLiteral("must be a whole number from %1 to %2 (got \"%3\")")
                    .arg(min)
                    .arg(max)
                    .arg(str(node)));
            return std::nullopt;
        }
        return v;
    }

    QStringList stringList(const YAML::Node &node, const QString &field)
    {
        QStringList out;
        if (!node.IsSequence()) {
            add(field, node, QStringLiteral("must be a list of strings"));
            return out;
        }
        for (std::size_t i = 0; i < node.size(); ++i) {
            if (node[i].IsScalar())
                out.append(str(node[i]));
            else
                add(QStringLiteral("%1[%2]").arg(field).arg(i), node[i], "must be a string");
        }
        return out;
    }

    void walk(const YAML::Node &root, std::optional<CommType> comm)
    {
        if (!root.IsMap()) {
            add(QString(), root,
                QStringLiteral("the spec must be a Kubernetes Pod (a YAML mapping)"));
            return;
        }
        if (const YAML::Node kind = root["kind"]; kind && (!kind.IsScalar() || str(kind) != "Pod"))
            add("kind", kind, QStringLiteral("must be Pod"));
        if (const YAML::Node api = root["apiVersion"]; api && (!api.IsScalar() || str(api) != "v1"))
            add("apiVersion", api, QStringLiteral("must be v1"));
        if (const YAML::Node meta = root["metadata"]) {
            if (meta["name"] && meta["name"].IsScalar())
                spec.name = str(meta["name"]);
            if (const YAML::Node ann = meta["annotations"]) {
                if (!ann.IsMap()) {
                    add("metadata.annotations", ann, "must be a mapping of strings");
                } else {
                    for (const auto &item : ann) {
                        if (item.second.IsScalar())
                            spec.annotations.insert(str(item.first), str(item.second));
                    }
                    checkAnnotations(ann, !comm);
                }
            }
        }
        if (!comm)
            comm = spec.annotatedCommType();
        const bool io = comm && *comm == CommType::Io;

        const YAML::Node podSpec = root["spec"];
        if (!podSpec || !podSpec.IsMap()) {
            add("spec", podSpec ? podSpec : root, QStringLiteral("is required (the pod's spec)"));
            return;
        }
        if (const YAML::Node affinity = podSpec["affinity"]; affinity && affinity["nodeAffinity"])
            add("spec.affinity.nodeAffinity", affinity["nodeAffinity"],
                QStringLiteral(
                    "is forbidden: the cluster places each ETL instance next to its target "
                    "itself"));
        const YAML::Node containers = podSpec["containers"];
        if (!containers || !containers.IsSequence() || containers.size() == 0) {
            add("spec.containers", containers ? containers : podSpec,
                QStringLiteral("is required: exactly one container"));
            return;
        }
        if (containers.size() != 1)
            add("spec.containers", containers,
                QStringLiteral("must hold exactly one container (found %1)")
                    .arg(containers.size()));
        walkContainer(containers[0], io);
    }

    // The communication_type annotation only matters when the request names no comm type (the
    // stock ais-etl specs carry a shell placeholder there, which AIS never reads).
    void checkAnnotations(const YAML::Node &ann, bool commFromAnnotation)
    {
        if (const YAML::Node c = ann[CommTypeAnnotation]; commFromAnnotation && c && c.IsScalar()) {
            if (auto parsed = parseCommType(str(c)); !parsed)
                add(QStringLiteral("metadata.annotations.%1").arg(CommTypeAnnotation), c,
                    parsed.error().message);
        }
        if (const YAML::Node w = ann[WaitTimeoutAnnotation]; w && w.IsScalar()) {
            if (auto parsed = parseDuration(str(w)); !parsed)
                add(QStringLiteral("metadata.annotations.%1").arg(WaitTimeoutAnnotation), w,
                    parsed.error().message);
        }
        if (const YAML::Node d = ann[DirectPutAnnotation]; d && d.IsScalar()) {
            if (!parseAisBool(str(d)))
                add(QStringLiteral("metadata.annotations.%1").arg(DirectPutAnnotation), d,
                    QStringLiteral("must be a boolean (true, false, yes, no, on, off, 1, 0; got "
                                   "\"%1\")")
                        .arg(str(d)));
        }
    }

    void walkContainer(const YAML::Node &c, bool io)
    {
        const QString base = QStringLiteral("spec.containers[0]");
        if (!c.IsMap()) {
            add(base, c, QStringLiteral("must be a container mapping"));
            return;
        }
        if (c["name"] && c["name"].IsScalar())
            spec.containerName = str(c["name"]);
        const YAML::Node image = c["image"];
        if (!image || !image.IsScalar() || str(image).trimmed().isEmpty())
            add(base + ".image", image ? image : c,
                QStringLiteral("is required (the container image)"));
        else
            spec.image = str(image).trimmed();
        if (const YAML::Node cmd = c["command"])
            spec.command = stringList(cmd, base + ".command");
        if (const YAML::Node args = c["args"])
            spec.args = stringList(args, base + ".args");
        if (const YAML::Node wd = c["workingDir"]; wd && isScalar(wd, base + ".workingDir"))
            spec.workingDir = str(wd);
        if (const YAML::Node env = c["env"])
            walkEnv(env, base + ".env");
        walkPorts(c["ports"], c, base, io);
        walkProbe(c["readinessProbe"], c, base, io);
        if (const YAML::Node res = c["resources"]) {
            if (const YAML::Node limits = res["limits"]) {
                if (const YAML::Node cpu = limits["cpu"];
                    cpu && isScalar(cpu, base + ".resources.limits.cpu")) {
                    spec.cpuLimit = str(cpu);
                    if (!parseCpuQuantity(spec.cpuLimit))
                        add(base + ".resources.limits.cpu", cpu,
                            QStringLiteral("\"%1\" is not a CPU quantity (e.g. 500m, 2)")
                                .arg(spec.cpuLimit));
                }
                if (const YAML::Node mem = limits["memory"];
                    mem && isScalar(mem, base + ".resources.limits.memory")) {
                    spec.memoryLimit = str(mem);
                    if (!parseMemoryQuantity(spec.memoryLimit))
                        add(base + ".resources.limits.memory", mem,
                            QStringLiteral("\"%1\" is not a memory quantity (e.g. 256Mi, 1Gi)")
                                .arg(spec.memoryLimit));
                }
            }
        }
    }

    void walkEnv(const YAML::Node &env, const QString &field)
    {
        if (!env.IsSequence()) {
            add(field, env, QStringLiteral("must be a list of {name, value}"));
            return;
        }
        for (std::size_t i = 0; i < env.size(); ++i) {
            const YAML::Node e = env[i];
            const QString f = QStringLiteral("%1[%2]").arg(field).arg(i);
            if (!e.IsMap() || !e["name"] || !e["name"].IsScalar() || str(e["name"]).isEmpty()) {
                add(f + ".name", e, QStringLiteral("is required"));
                continue;
            }
            EnvVar var{str(e["name"]), {}, false};
            if (e["value"] && e["value"].IsScalar())
                var.value = str(e["value"]);
            else if (e["valueFrom"])
                var.fromField = true;
            spec.env.append(var);
        }
    }

    void walkPorts(const YAML::Node &ports, const YAML::Node &container, const QString &base,
                   bool io)
    {
        if (!ports) {
            if (!io)
                add(base + ".ports", container,
                    QStringLiteral(
                        "is required (except for io://): the port the target contacts the "
                        "container on"));
            return;
        }
        if (!ports.IsSequence() || ports.size() == 0) {
            if (!io)
                add(base + ".ports", ports, QStringLiteral("must list at least one port"));
            return;
        }
        const YAML::Node p = ports[0];
        const QString f = base + ".ports[0]";
        if (!p.IsMap()) {
            add(f, p, QStringLiteral("must be a port mapping"));
            return;
        }
        const YAML::Node name = p["name"];
        if (!name || !name.IsScalar() || str(name) != "default")
            add(f + ".name", name ? name : p, QStringLiteral("must be \"default\""));
        else
            spec.portName = str(name);
        const YAML::Node port = p["containerPort"];
        if (!port)
            add(f + ".containerPort", p, QStringLiteral("is required"));
        else if (auto v = integer(port, f + ".containerPort", 1, 65535))
            spec.containerPort = *v;
    }

    void walkProbe(const YAML::Node &probe, const YAML::Node &container, const QString &base,
                   bool io)
    {
        const QString f = base + ".readinessProbe";
        if (!probe) {
            if (!io)
                add(f, container,
                    QStringLiteral("is required (except for io://): an httpGet probe on "
                                   "port \"default\""));
            return;
        }
        if (!probe.IsMap()) {
            add(f, probe, QStringLiteral("must be a mapping"));
            return;
        }
        if (const YAML::Node t = probe["timeoutSeconds"])
            if (auto v = integer(t, f + ".timeoutSeconds", 1, 3600))
                spec.probeTimeoutSeconds = *v;
        if (const YAML::Node t = probe["periodSeconds"])
            if (auto v = integer(t, f + ".periodSeconds", 1, 3600))
                spec.probePeriodSeconds = *v;
        const YAML::Node get = probe["httpGet"];
        if (!get || !get.IsMap()) {
            add(f + ".httpGet", get ? get : probe, QStringLiteral("is required (path and port)"));
            return;
        }
        const YAML::Node path = get["path"];
        if (!path || !path.IsScalar() || str(path).isEmpty())
            add(f + ".httpGet.path", path ? path : get, QStringLiteral("is required"));
        else
            spec.probePath = str(path);
        const YAML::Node port = get["port"];
        if (!port || !port.IsScalar()) {
            add(f + ".httpGet.port", port ? port : get,
                QStringLiteral("is required and must be \"default\""));
        } else if (str(port) != "default"
                   && !(spec.containerPort > 0
                        && str(port) == QString::number(spec.containerPort))) {
            add(f + ".httpGet.port", port,
                QStringLiteral("must be \"default\" (the port named default), not \"%1\"")
                    .arg(str(port)));
        }
    }
};

} // namespace

QString SpecIssue::toString() const
{
    QString where = field.isEmpty() ? QStringLiteral("pod spec") : field;
    if (line > 0)
        where += QStringLiteral(" (line %1)").arg(line);
    return QStringLiteral("%1: %2").arg(where, message);
}

std::optional<CommType> PodSpec::annotatedCommType() const
{
    const auto it = annotations.constFind(CommTypeAnnotation);
    if (it == annotations.constEnd())
        return std::nullopt;
    auto parsed = parseCommType(*it);
    return parsed ? std::optional<CommType>(*parsed) : std::nullopt;
}

std::optional<std::chrono::milliseconds> PodSpec::annotatedWaitTimeout() const
{
    const auto it = annotations.constFind(WaitTimeoutAnnotation);
    if (it == annotations.constEnd())
        return std::nullopt;
    auto parsed = parseDuration(*it);
    return parsed ? std::optional<std::chrono::milliseconds>(*parsed) : std::nullopt;
}

std::optional<bool> PodSpec::annotatedDirectPut() const
{
    const auto it = annotations.constFind(DirectPutAnnotation);
    if (it == annotations.constEnd())
        return std::nullopt;
    return parseAisBool(*it);
}

std::optional<bool> parseAisBool(const QString &text)
{
    // AIS's cos.ParseBool: its own words first, then Go's strconv.ParseBool; "" is false.
    static const QStringList yes{"true", "y", "yes", "on", "1", "t", "T", "TRUE", "True"};
    static const QStringList no{"", "false", "n", "no", "off", "0", "f", "F", "FALSE", "False"};
    if (yes.contains(text))
        return true;
    if (no.contains(text))
        return false;
    return std::nullopt;
}

static std::pair<PodSpec, QList<SpecIssue>> walkSpec(const QByteArray &yaml,
                                                     std::optional<CommType> comm)
{
    Walker w;
    YAML::Node root;
    try {
        root = YAML::Load(yaml.toStdString());
    } catch (const YAML::Exception &e) {
        w.issues.append(
            SpecIssue{QString(), e.mark.is_null() ? 0 : e.mark.line + 1,
                      QStringLiteral("not valid YAML: %1").arg(QString::fromStdString(e.msg))});
        return {w.spec, w.issues};
    }
    try {
        if (!root || root.IsNull())
            w.add(QString(), root, QStringLiteral("the pod spec is empty"));
        else
            w.walk(root, comm);
    } catch (const YAML::Exception &e) {
        w.issues.append(SpecIssue{QString(), e.mark.is_null() ? 0 : e.mark.line + 1,
                                  QString::fromStdString(e.msg)});
    }
    return {w.spec, w.issues};
}

QList<SpecIssue> validatePodSpec(const QByteArray &yaml, std::optional<CommType> comm)
{
    return walkSpec(yaml, comm).second;
}

Result<PodSpec> parsePodSpec(const QByteArray &yaml, std::optional<CommType> comm)
{
    auto [spec, issues] = walkSpec(yaml, comm);
    if (!issues.isEmpty())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("invalid pod spec: %1").arg(issues.first().toString()));
    return spec;
}

std::optional<double> parseCpuQuantity(const QString &text)
{
    QString t = text.trimmed();
    double factor = 1;
    if (t.endsWith('m')) {
        factor = 0.001;
        t.chop(1);
    }
    bool ok = false;
    const double v = t.toDouble(&ok);
    if (!ok || v < 0 || !std::isfinite(v))
        return std::nullopt;
    return v * factor;
}

std::optional<qint64> parseMemoryQuantity(const QString &text)
{
    static const QList<QPair<QString, double>> suffixes{{"Ki", 1024.0},
                                                        {"Mi", 1024.0 * 1024},
                                                        {"Gi", 1024.0 * 1024 * 1024},
                                                        {"Ti", 1024.0 * 1024 * 1024 * 1024},
                                                        {"k", 1e3},
                                                        {"K", 1e3},
                                                        {"M", 1e6},
                                                        {"G", 1e9},
                                                        {"T", 1e12}};
    QString t = text.trimmed();
    double factor = 1;
    for (const auto &[suffix, f] : suffixes) {
        if (t.endsWith(suffix)) {
            factor = f;
            t.chop(suffix.size());
            break;
        }
    }
    bool ok = false;
    const double v = t.toDouble(&ok);
    // Beyond qint64 (e.g. "9e63", "1e10Ti") the cast would be undefined: malformed, like AIS's
    // resource.ParseQuantity refusing what overflows.
    const double bytes = v * factor;
    if (!ok || v < 0 || !std::isfinite(bytes) || bytes >= 9223372036854775807.0)
        return std::nullopt;
    return qint64(bytes);
}

} // namespace Kiln::Etl
