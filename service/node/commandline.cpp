#include "service/node/commandline.h"

#include "shared/core/duration.h"
#include "shared/core/logging.h"

#include <QCommandLineParser>

namespace Kiln::Node {
namespace {

const char Usage[] = R"(Usage: kilnd <role> [options]

Roles:
  cluster   the embedded default: one proxy and N targets on this machine (child processes)
  proxy     the gateway clients talk to (AIS REST API); keeps the cluster map and buckets
  target    a storage node; joins the proxy given by --proxy-url
  images    lists the images a target runs without Kubernetes (stock catalogue, the config's
            etl.images mappings) and whether a container engine runs; takes --config

Options:
  --config FILE              YAML config (proxy, target); flags override it
  --data DIR                 data folder (default: $XDG_DATA_HOME/kiln[/cluster])
  --host ADDR                address to serve on (default 127.0.0.1)
  --port N                   port (proxy and cluster default 8080; target default: any free)
  --id ID                    node id (default: generated once, kept in DIR/node.id)
  --proxy-url URL            target: the primary proxy, e.g. http://127.0.0.1:8080
  --mountpath DIR            target: an object folder (repeat for several; default DIR/mp1)
  --targets N                cluster: number of targets (default 3)
  --venv-dir DIR             target, cluster: shared Python venvs of ETLs
                             (default $XDG_CACHE_HOME/kiln/venvs)
  --promote-root DIR         the only folder `ais object promote` takes files from
                             (default DIR/promote; cluster: every node gets DIR/promote)
  --keepalive-interval DUR   how often targets report (default 1s)
  --keepalive-timeout DUR    the proxy drops a target silent this long (default 5s)
  --log-level LEVEL          trace|debug|info|warn|error|off, or SUBSYSTEM=LEVEL
                             (core, http, proxy, target, cluster, store, etl, runtime, kube);
                             repeat for several
  -h, --help                 this text
  -v, --version              the version
)";

Error usageError(const QString &message)
{
    return makeError(ErrorCode::InvalidArgument, message + QStringLiteral("\n(see kilnd --help)"));
}

} // namespace

Result<Command> parseCommandLine(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption help({"h", "help"}, "help");
    const QCommandLineOption version({"v", "version"}, "version");
    const QCommandLineOption config("config", "config", "FILE");
    const QCommandLineOption data("data", "data", "DIR");
    const QCommandLineOption host("host", "host", "ADDR");
    const QCommandLineOption port("port", "port", "N");
    const QCommandLineOption id("id", "id", "ID");
    const QCommandLineOption proxyUrl("proxy-url", "proxy", "URL");
    const QCommandLineOption mountpath("mountpath", "mountpath", "DIR");
    const QCommandLineOption targets("targets", "targets", "N");
    const QCommandLineOption kaInterval("keepalive-interval", "interval", "DUR");
    const QCommandLineOption kaTimeout("keepalive-timeout", "timeout", "DUR");
    const QCommandLineOption logLevel("log-level", "level", "LEVEL");
    const QCommandLineOption venvDir("venv-dir", "venvs", "DIR");
    const QCommandLineOption promoteRoot("promote-root", "promote", "DIR");
    parser.addOptions({help, version, config, data, host, port, id, proxyUrl, mountpath, targets,
                       kaInterval, kaTimeout, logLevel, venvDir, promoteRoot});
    parser.addPositionalArgument("role", "role");
    if (!parser.parse(arguments))
        return usageError(parser.errorText());

    Command cmd;
    cmd.helpText = QString::fromLatin1(Usage);
    if (parser.isSet(help))
        return cmd;
    if (parser.isSet(version)) {
        cmd.kind = Command::Kind::Version;
        return cmd;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.isEmpty())
        return usageError("no role given: kilnd cluster | proxy | target | images");
    if (positional.size() > 1)
        return usageError(QStringLiteral("unexpected argument \"%1\"").arg(positional.at(1)));
    const QString role = positional.first();
    if (role == "proxy")
        cmd.kind = Command::Kind::Proxy;
    else if (role == "target")
        cmd.kind = Command::Kind::Target;
    else if (role == "cluster")
        cmd.kind = Command::Kind::Cluster;
    else if (role == "images")
        cmd.kind = Command::Kind::Images;
    else
        return usageError(
            QStringLiteral("unknown role \"%1\": use cluster, proxy, target or images").arg(role));

    auto intValue = [&](const QCommandLineOption &opt, int min, int max) -> Result<int> {
        bool ok = false;
        const int v = parser.value(opt).toInt(&ok);
        if (!ok || v < min || v > max)
            return usageError(
                QStringLiteral("--%1 must be a whole number from %2 to %3 (got \"%4\")")
                    .arg(opt.names().constLast())
                    .arg(min)
                    .arg(max)
                    .arg(parser.value(opt)));
        return v;
    };
    auto durationValue = [&](const QCommandLineOption &opt) -> Result<std::chrono::milliseconds> {
        auto d = parseDuration(parser.value(opt));
        if (!d)
            return usageError(
                QStringLiteral("--%1: %2").arg(opt.names().constLast(), d.error().message));
        return *d;
    };
    for (const QString &level : parser.values(logLevel)) {
        std::string why;
        if (!Log::applyLevelSpec(level.toStdString(), &why))
            return usageError(QStringLiteral("--log-level: %1").arg(QString::fromStdString(why)));
    }

    if (cmd.kind == Command::Kind::Cluster) {
        for (const auto *nodeOnly : {&config, &id, &proxyUrl, &mountpath}) {
            if (parser.isSet(*nodeOnly))
                return usageError(QStringLiteral("--%1 is for proxy and target, not cluster")
                                      .arg(nodeOnly->names().constLast()));
        }
        Cluster::ClusterOptions &c = cmd.cluster;
        c.dataDir = parser.isSet(data) ? parser.value(data) : defaultDataDir() + "/cluster";
        if (parser.isSet(host))
            c.host = parser.value(host);
        if (parser.isSet(port)) {
            auto v = intValue(port, 0, 65535);
            if (!v)
                return v.error();
            c.port = *v;
        }
        if (parser.isSet(targets)) {
            auto v = intValue(targets, 1, 64);
            if (!v)
                return v.error();
            c.targets = *v;
        }
        if (parser.isSet(kaInterval)) {
            auto d = durationValue(kaInterval);
            if (!d)
                return d.error();
            c.keepaliveInterval = *d;
        }
        if (parser.isSet(kaTimeout)) {
            auto d = durationValue(kaTimeout);
            if (!d)
                return d.error();
            c.keepaliveTimeout = *d;
        }
        if (c.keepaliveTimeout < c.keepaliveInterval * 2)
            return usageError("--keepalive-timeout must be at least twice --keepalive-interval");
        c.logLevels = parser.values(logLevel);
        if (parser.isSet(venvDir))
            c.venvDir = parser.value(venvDir);
        if (parser.isSet(promoteRoot))
            c.promoteRoot = parser.value(promoteRoot);
        return cmd;
    }
    if (parser.isSet(targets))
        return usageError("--targets is for cluster only");

    NodeConfig &n = cmd.node;
    n.role = cmd.kind == Command::Kind::Proxy ? Role::Proxy : Role::Target;
    if (parser.isSet(config)) {
        if (auto loaded = n.loadYaml(parser.value(config)); !loaded)
            return loaded.error();
        for (const QString &level : n.logLevels) {
            std::string why;
            if (!Log::applyLevelSpec(level.toStdString(), &why))
                return usageError(QStringLiteral("%1: log level: %2")
                                      .arg(parser.value(config), QString::fromStdString(why)));
        }
        // Flags win over the file.
        for (const QString &level : parser.values(logLevel))
            Log::applyLevelSpec(level.toStdString());
    }
    if (cmd.kind == Command::Kind::Images) {
        // Reads a target's config without being one: nothing else in it matters here.
        if (n.proxyUrl.isEmpty())
            n.proxyUrl = QStringLiteral("http://127.0.0.1:8080");
        if (n.dataDir.isEmpty())
            n.dataDir = defaultDataDir() + "/target";
        if (auto valid = n.validate(); !valid)
            return usageError(valid.error().message);
        return cmd;
    }
    if (parser.isSet(data))
        n.dataDir = parser.value(data);
    if (n.dataDir.isEmpty())
        n.dataDir = defaultDataDir() + (n.role == Role::Proxy ? "/proxy" : "/target");
    if (parser.isSet(host))
        n.host = parser.value(host);
    if (parser.isSet(port)) {
        auto v = intValue(port, 0, 65535);
        if (!v)
            return v.error();
        n.port = *v;
    }
    if (parser.isSet(id))
        n.id = parser.value(id);
    if (parser.isSet(proxyUrl))
        n.proxyUrl = parser.value(proxyUrl);
    if (parser.isSet(mountpath))
        n.mountpaths = parser.values(mountpath);
    if (parser.isSet(venvDir))
        n.venvDir = parser.value(venvDir);
    if (parser.isSet(promoteRoot))
        n.promoteRoot = parser.value(promoteRoot);
    if (parser.isSet(kaInterval)) {
        auto d = durationValue(kaInterval);
        if (!d)
            return d.error();
        n.keepaliveInterval = *d;
    }
    if (parser.isSet(kaTimeout)) {
        auto d = durationValue(kaTimeout);
        if (!d)
            return d.error();
        n.keepaliveTimeout = *d;
    }
    n.logLevels += parser.values(logLevel);
    if (n.role == Role::Proxy && !n.mountpaths.isEmpty())
        return usageError("--mountpath is for targets");
    if (auto valid = n.validate(); !valid)
        return usageError(valid.error().message);
    return cmd;
}

} // namespace Kiln::Node
