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
  authn     the AuthN service (users, roles, login tokens) for `ais auth ...`; --data, --host,
            --port (default 52001); the secret in $KILN_AUTH_SECRET (or AIS_AUTHN_SECRET_KEY),
            the admin's first password in $AIS_AUTHN_SU_PASS
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
  --mountpaths N             cluster: mountpaths per target (default 1)
  --venv-dir DIR             target, cluster: shared Python venvs of ETLs
                             (default $XDG_CACHE_HOME/kiln/venvs)
  --promote-root DIR         the only folder `ais object promote` takes files from
                             (default DIR/promote; cluster: every node gets DIR/promote)
  --http-threads N           threads that serve HTTP per node (default 0: one per core;
                             1: the node's own thread only)
  --keepalive-interval DUR   how often targets report (default 1s)
  --keepalive-timeout DUR    the proxy drops a target silent this long (default 5s)
  --auth                     require AIS AuthN tokens (Authorization: Bearer); the secret
                             comes from auth.secret(_file) or $KILN_AUTH_SECRET; cluster:
                             made once and kept in DIR/auth.secret when not given
  --tls                      cluster: HTTPS everywhere, with a CA and node certificate made once
                             in DIR/tls (clients trust DIR/tls/ca.pem)
  --tls-mutual               cluster: --tls with mutual TLS: every client (nodes too) must show
                             a certificate of DIR/tls/ca.pem (clients: DIR/tls/client.pem/.key)
  --tls-cert FILE --tls-key FILE --tls-ca FILE
                             proxy, target: serve HTTPS with this PEM certificate and key;
                             trust this CA for calls to other nodes
  --tls-client-ca FILE       proxy, target: mutual TLS, refuse clients without a certificate
                             this CA signed
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

// kilnd's flags over QCommandLineParser, with the checks every role shares.
class Flags
{
public:
    Flags()
    {
        m_parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
        m_parser.addOptions({help, version, config, data, host, port, id, proxyUrl, mountpath,
                             targets, mountpaths, httpThreads, kaInterval, kaTimeout, logLevel, venvDir, promoteRoot, auth, tls, tlsMutual, tlsCert, tlsKey, tlsCa, tlsClientCa});
        m_parser.addPositionalArgument("role", "role");
    }

    Result<void> parse(const QStringList &arguments)
    {
        if (!m_parser.parse(arguments))
            return usageError(m_parser.errorText());
        return {};
    }
    bool isSet(const QCommandLineOption &opt) const { return m_parser.isSet(opt); }
    QString value(const QCommandLineOption &opt) const { return m_parser.value(opt); }
    QStringList values(const QCommandLineOption &opt) const { return m_parser.values(opt); }
    QStringList positional() const { return m_parser.positionalArguments(); }

    // Sets out from a whole-number flag in [min, max], when given.
    Result<void> setInt(const QCommandLineOption &opt, int min, int max, int &out) const
    {
        if (!isSet(opt))
            return {};
        bool ok = false;
        const int v = value(opt).toInt(&ok);
        if (!ok || v < min || v > max)
            return usageError(
                QStringLiteral("--%1 must be a whole number from %2 to %3 (got \"%4\")")
                    .arg(opt.names().constLast())
                    .arg(min)
                    .arg(max)
                    .arg(value(opt)));
        out = v;
        return {};
    }
    // Sets out from a duration flag (1s, 500ms, ...), when given.
    Result<void> setDuration(const QCommandLineOption &opt, std::chrono::milliseconds &out) const
    {
        if (!isSet(opt))
            return {};
        auto d = parseDuration(value(opt));
        if (!d)
            return usageError(
                QStringLiteral("--%1: %2").arg(opt.names().constLast(), d.error().message));
        out = *d;
        return {};
    }
    Result<void> applyLogLevels() const
    {
        for (const QString &level : values(logLevel)) {
            std::string why;
            if (!Log::applyLevelSpec(level.toStdString(), &why))
                return usageError(
                    QStringLiteral("--log-level: %1").arg(QString::fromStdString(why)));
        }
        return {};
    }

    const QCommandLineOption help{{"h", "help"}, "help"};
    const QCommandLineOption version{{"v", "version"}, "version"};
    const QCommandLineOption config{"config", "config", "FILE"};
    const QCommandLineOption data{"data", "data", "DIR"};
    const QCommandLineOption host{"host", "host", "ADDR"};
    const QCommandLineOption port{"port", "port", "N"};
    const QCommandLineOption id{"id", "id", "ID"};
    const QCommandLineOption proxyUrl{"proxy-url", "proxy", "URL"};
    const QCommandLineOption mountpath{"mountpath", "mountpath", "DIR"};
    const QCommandLineOption targets{"targets", "targets", "N"};
    const QCommandLineOption mountpaths{"mountpaths", "mountpaths", "N"};
    const QCommandLineOption httpThreads{"http-threads", "threads", "N"};
    const QCommandLineOption kaInterval{"keepalive-interval", "interval", "DUR"};
    const QCommandLineOption kaTimeout{"keepalive-timeout", "timeout", "DUR"};
    const QCommandLineOption logLevel{"log-level", "level", "LEVEL"};
    const QCommandLineOption venvDir{"venv-dir", "venvs", "DIR"};
    const QCommandLineOption promoteRoot{"promote-root", "promote", "DIR"};
    const QCommandLineOption auth{"auth", "auth"};
    const QCommandLineOption tls{"tls", "tls"};
    const QCommandLineOption tlsCert{"tls-cert", "cert", "FILE"};
    const QCommandLineOption tlsKey{"tls-key", "key", "FILE"};
    const QCommandLineOption tlsCa{"tls-ca", "ca", "FILE"};
    const QCommandLineOption tlsMutual{"tls-mutual", "tls-mutual"};
    const QCommandLineOption tlsClientCa{"tls-client-ca", "client-ca", "FILE"};

private:
    QCommandLineParser m_parser;
};

Result<Command::Kind> roleOf(const Flags &flags)
{
    const QStringList positional = flags.positional();
    if (positional.isEmpty())
        return usageError("no role given: kilnd cluster | proxy | target | images | authn");
    if (positional.size() > 1)
        return usageError(QStringLiteral("unexpected argument \"%1\"").arg(positional.at(1)));
    const QString role = positional.first();
    if (role == "proxy")
        return Command::Kind::Proxy;
    if (role == "target")
        return Command::Kind::Target;
    if (role == "cluster")
        return Command::Kind::Cluster;
    if (role == "images")
        return Command::Kind::Images;
    if (role == "authn")
        return Command::Kind::Authn;
    return usageError(
        QStringLiteral("unknown role \"%1\": use cluster, proxy, target or images").arg(role));
}

Result<void> clusterOptions(const Flags &f, Cluster::ClusterOptions &c)
{
    for (const auto *nodeOnly :
         {&f.config, &f.id, &f.proxyUrl, &f.mountpath, &f.tlsCert, &f.tlsKey, &f.tlsCa,
          &f.tlsClientCa}) {
        if (f.isSet(*nodeOnly))
            return usageError(QStringLiteral("--%1 is for proxy and target, not cluster")
                                  .arg(nodeOnly->names().constLast()));
    }
    c.dataDir = f.isSet(f.data) ? f.value(f.data) : defaultDataDir() + "/cluster";
    if (f.isSet(f.host))
        c.host = f.value(f.host);
    if (auto done = f.setInt(f.port, 0, 65535, c.port); !done)
        return done.error();
    if (auto done = f.setInt(f.targets, 1, 64, c.targets); !done)
        return done.error();
    if (auto done = f.setInt(f.mountpaths, 1, 16, c.mountpaths); !done)
        return done.error();
    if (auto done = f.setInt(f.httpThreads, 0, 256, c.httpThreads); !done)
        return done.error();
    if (auto done = f.setDuration(f.kaInterval, c.keepaliveInterval); !done)
        return done.error();
    if (auto done = f.setDuration(f.kaTimeout, c.keepaliveTimeout); !done)
        return done.error();
    if (c.keepaliveTimeout < c.keepaliveInterval * 2)
        return usageError("--keepalive-timeout must be at least twice --keepalive-interval");
    c.logLevels = f.values(f.logLevel);
    if (f.isSet(f.venvDir))
        c.venvDir = f.value(f.venvDir);
    if (f.isSet(f.promoteRoot))
        c.promoteRoot = f.value(f.promoteRoot);
    c.auth = f.isSet(f.auth);
    c.tlsMutual = f.isSet(f.tlsMutual);
    c.tls = f.isSet(f.tls) || c.tlsMutual;
    return {};
}

// The config file's settings, its log levels applied (the flags' levels win over them).
Result<void> loadConfigFile(const Flags &f, NodeConfig &n)
{
    if (!f.isSet(f.config))
        return {};
    if (auto done = n.loadYaml(f.value(f.config)); !done)
        return done.error();
    for (const QString &level : n.logLevels) {
        std::string why;
        if (!Log::applyLevelSpec(level.toStdString(), &why))
            return usageError(QStringLiteral("%1: log level: %2")
                                  .arg(f.value(f.config), QString::fromStdString(why)));
    }
    for (const QString &level : f.values(f.logLevel))
        Log::applyLevelSpec(level.toStdString());
    return {};
}

// `kilnd images` reads a target's config without being one: nothing else in it matters.
Result<void> imagesOptions(NodeConfig &n)
{
    if (n.proxyUrl.isEmpty())
        n.proxyUrl = QStringLiteral("http://127.0.0.1:8080");
    if (n.dataDir.isEmpty())
        n.dataDir = defaultDataDir() + "/target";
    if (auto valid = n.validate(); !valid)
        return usageError(valid.error().message);
    return {};
}

// `kilnd authn`: where it keeps its users and where it listens; the secret from the environment.
Result<void> authnOptions(const Flags &f, NodeConfig &n)
{
    n.dataDir = f.isSet(f.data) ? f.value(f.data) : defaultDataDir() + "/authn";
    if (f.isSet(f.host))
        n.host = f.value(f.host);
    n.port = 52001;
    if (auto done = f.setInt(f.port, 0, 65535, n.port); !done)
        return done.error();
    n.authEnabled = true;
    n.authSecret = qEnvironmentVariable("KILN_AUTH_SECRET", qEnvironmentVariable("AIS_AUTHN_SECRET_KEY"));
    if (n.authSecret.isEmpty())
        return usageError("authn needs the clusters' secret in $KILN_AUTH_SECRET");
    return {};
}

// Flags over the config file for a proxy or target.
Result<void> nodeOptions(const Flags &f, NodeConfig &n)
{
    if (f.isSet(f.data))
        n.dataDir = f.value(f.data);
    if (n.dataDir.isEmpty())
        n.dataDir = defaultDataDir() + (n.role == Role::Proxy ? "/proxy" : "/target");
    if (f.isSet(f.host))
        n.host = f.value(f.host);
    if (auto done = f.setInt(f.port, 0, 65535, n.port); !done)
        return done.error();
    if (f.isSet(f.id))
        n.id = f.value(f.id);
    if (auto done = f.setInt(f.httpThreads, 0, 256, n.httpThreads); !done)
        return done.error();
    if (f.isSet(f.proxyUrl))
        n.proxyUrl = f.value(f.proxyUrl);
    if (f.isSet(f.mountpath))
        n.mountpaths = f.values(f.mountpath);
    if (f.isSet(f.venvDir))
        n.venvDir = f.value(f.venvDir);
    if (f.isSet(f.promoteRoot))
        n.promoteRoot = f.value(f.promoteRoot);
    if (auto done = f.setDuration(f.kaInterval, n.keepaliveInterval); !done)
        return done.error();
    if (auto done = f.setDuration(f.kaTimeout, n.keepaliveTimeout); !done)
        return done.error();
    n.logLevels += f.values(f.logLevel);
    if (f.isSet(f.auth))
        n.authEnabled = true;
    if (f.isSet(f.tls) || f.isSet(f.tlsMutual))
        return usageError("--tls and --tls-mutual are for cluster; a node takes --tls-cert, "
                          "--tls-key and --tls-client-ca");
    for (auto [opt, out] : {std::pair{&f.tlsCert, &n.tlsCert}, {&f.tlsKey, &n.tlsKey},
                            {&f.tlsCa, &n.tlsCa}, {&f.tlsClientCa, &n.tlsClientCa}}) {
        if (f.isSet(*opt))
            *out = f.value(*opt);
    }
    if (n.authEnabled && n.authSecret.isEmpty())
        n.authSecret = qEnvironmentVariable("KILN_AUTH_SECRET");
    if (n.role == Role::Proxy && !n.mountpaths.isEmpty())
        return usageError("--mountpath is for targets");
    if (auto valid = n.validate(); !valid)
        return usageError(valid.error().message);
    return {};
}

} // namespace

Result<Command> parseCommandLine(const QStringList &arguments)
{
    Flags flags;
    if (auto done = flags.parse(arguments); !done)
        return done.error();
    Command cmd;
    cmd.helpText = QString::fromLatin1(Usage);
    if (flags.isSet(flags.help))
        return cmd;
    if (flags.isSet(flags.version)) {
        cmd.kind = Command::Kind::Version;
        return cmd;
    }
    auto kind = roleOf(flags);
    if (!kind)
        return kind.error();
    cmd.kind = *kind;
    if (auto done = flags.applyLogLevels(); !done)
        return done.error();
    if (cmd.kind == Command::Kind::Cluster) {
        if (auto done = clusterOptions(flags, cmd.cluster); !done)
            return done.error();
        return cmd;
    }
    if (cmd.kind == Command::Kind::Authn) {
        if (auto done = authnOptions(flags, cmd.node); !done)
            return done.error();
        return cmd;
    }
    if (flags.isSet(flags.targets))
        return usageError("--targets is for cluster only");
    if (flags.isSet(flags.mountpaths))
        return usageError("--mountpaths is for cluster only (a node takes --mountpath DIR)");
    cmd.node.role = cmd.kind == Command::Kind::Proxy ? Role::Proxy : Role::Target;
    if (auto done = loadConfigFile(flags, cmd.node); !done)
        return done.error();
    auto options = cmd.kind == Command::Kind::Images ? imagesOptions(cmd.node)
                                                     : nodeOptions(flags, cmd.node);
    if (!options)
        return options.error();
    return cmd;
}

} // namespace Kiln::Node
