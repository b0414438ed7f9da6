#include "service/node/nodeconfig.h"

#include "service/kube/kubeconfig.h"
#include "shared/core/duration.h"
#include "shared/core/fileutil.h"
#include "shared/core/logging.h"

#include <yaml-cpp/yaml.h>

#include <QDir>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QUrl>

namespace Kiln::Node {
namespace {

Error configError(const QString &path, const YAML::Mark &mark, const QString &what)
{
    return makeError(ErrorCode::InvalidArgument,
                     mark.is_null()
                         ? QStringLiteral("%1: %2").arg(path, what)
                         : QStringLiteral("%1:%2: %3").arg(path).arg(mark.line + 1).arg(what));
}

// Reads one YAML config into a NodeConfig, section by section. yaml-cpp throws on a value of the
// wrong type; loadYaml turns that into an error with the line.
class ConfigReader
{
public:
    ConfigReader(const QString &path, NodeConfig &config)
        : m_path(path)
        , m_c(config)
    { }

    Result<void> read(const YAML::Node &root)
    {
        using Step = Result<void> (ConfigReader::*)(const YAML::Node &);
        for (Step step :
             {&ConfigReader::checkKeys, &ConfigReader::readNode, &ConfigReader::readStorage,
              &ConfigReader::readKeepalive, &ConfigReader::readEtl, &ConfigReader::readLog,
              &ConfigReader::readAuth, &ConfigReader::readTls}) {
            if (auto done = (this->*step)(root); !done)
                return done;
        }
        return {};
    }

private:
    Error error(const YAML::Mark &mark, const QString &what) const
    {
        return configError(m_path, mark, what);
    }
    static void setString(const YAML::Node &node, const char *key, QString &out)
    {
        if (node[key])
            out = QString::fromStdString(node[key].as<std::string>());
    }

    // A misspelt key, at the top or inside a section, is refused, not silently ignored.
    Result<void> checkKeys(const YAML::Node &root)
    {
        static const QStringList known{"node",      "data_dir", "mountpaths", "proxy_url",
                                       "keepalive", "log",      "etl",        "promote_root",
                                       "auth",      "tls"};
        for (const auto &item : root) {
            const QString key = QString::fromStdString(item.first.as<std::string>());
            if (!known.contains(key))
                return error(
                    item.first.Mark(),
                    QStringLiteral("unknown key \"%1\" (known: %2)").arg(key, known.join(", ")));
        }
        static const QMap<QString, QStringList> sections{
            {"node", {"id", "host", "port", "http_threads"}},
            {"keepalive", {"interval", "timeout"}},
            {"log", {"level", "subsystems"}},
            {"auth", {"enabled", "secret", "secret_file"}},
            {"tls", {"cert", "key", "ca", "client_ca"}},
            {"etl",
             {"runtime", "venv_dir", "python", "kubeconfig", "namespace", "node_name", "containers",
              "image_runtime", "images", "sandbox"}}};
        for (auto it = sections.begin(); it != sections.end(); ++it) {
            const YAML::Node section = root[it.key().toStdString()];
            if (!section)
                continue;
            if (!section.IsMap())
                return error(section.Mark(), QStringLiteral("%1 must be a mapping").arg(it.key()));
            for (const auto &item : section) {
                const QString key = QString::fromStdString(item.first.as<std::string>());
                if (!it.value().contains(key))
                    return error(item.first.Mark(),
                                 QStringLiteral("unknown key \"%1.%2\" (known: %3)")
                                     .arg(it.key(), key, it.value().join(", ")));
            }
        }
        return {};
    }

    Result<void> readNode(const YAML::Node &root)
    {
        if (const YAML::Node node = root["node"]) {
            setString(node, "id", m_c.id);
            setString(node, "host", m_c.host);
            if (node["port"])
                m_c.port = node["port"].as<int>();
            if (node["http_threads"])
                m_c.httpThreads = node["http_threads"].as<int>();
        }
        return {};
    }

    Result<void> readStorage(const YAML::Node &root)
    {
        setString(root, "data_dir", m_c.dataDir);
        setString(root, "proxy_url", m_c.proxyUrl);
        setString(root, "promote_root", m_c.promoteRoot);
        if (const YAML::Node mps = root["mountpaths"]) {
            if (!mps.IsSequence())
                return error(mps.Mark(), "mountpaths must be a list of folders");
            m_c.mountpaths.clear();
            for (const auto &mp : mps)
                m_c.mountpaths.append(QString::fromStdString(mp.as<std::string>()));
        }
        return {};
    }

    Result<void> readKeepalive(const YAML::Node &root)
    {
        const YAML::Node ka = root["keepalive"];
        if (!ka)
            return {};
        for (const char *key : {"interval", "timeout"}) {
            if (!ka[key])
                continue;
            auto d = parseDuration(QString::fromStdString(ka[key].as<std::string>()));
            if (!d)
                return error(ka[key].Mark(),
                             QStringLiteral("keepalive.%1: %2").arg(key, d.error().message));
            (std::string(key) == "interval" ? m_c.keepaliveInterval : m_c.keepaliveTimeout) = *d;
        }
        return {};
    }

    Result<void> readEtl(const YAML::Node &root)
    {
        const YAML::Node etl = root["etl"];
        if (!etl)
            return {};
        setString(etl, "runtime", m_c.etlRuntime);
        setString(etl, "venv_dir", m_c.venvDir);
        setString(etl, "python", m_c.python);
        setString(etl, "kubeconfig", m_c.kubeconfig);
        setString(etl, "namespace", m_c.kubeNamespace);
        setString(etl, "node_name", m_c.nodeName);
        setString(etl, "containers", m_c.containers);
        setString(etl, "image_runtime", m_c.imageRuntime);
        if (etl["sandbox"])
            m_c.etlSandbox = etl["sandbox"].as<bool>();
        return readImages(etl["images"]);
    }

    Result<void> readImages(const YAML::Node &list)
    {
        if (!list)
            return {};
        if (!list.IsSequence())
            return error(list.Mark(), "etl.images must be a list of {image, command}");
        for (const auto &item : list) {
            if (!item.IsMap() || !item["image"] || !item["command"] || !item["command"].IsSequence()
                || item.size() != 2)
                return error(item.Mark(),
                             "each etl.images entry is {image: NAME-OR-GLOB, "
                             "command: [program, args...]}");
            ImageMapping m;
            m.image = QString::fromStdString(item["image"].as<std::string>());
            for (const auto &c : item["command"])
                m.command.append(QString::fromStdString(c.as<std::string>()));
            if (m.image.isEmpty() || m.command.isEmpty())
                return error(item.Mark(), "etl.images: image and command must not be empty");
            m_c.images.append(m);
        }
        return {};
    }

    Result<void> readAuth(const YAML::Node &root)
    {
        const YAML::Node auth = root["auth"];
        if (!auth)
            return {};
        if (auth["enabled"])
            m_c.authEnabled = auth["enabled"].as<bool>();
        setString(auth, "secret", m_c.authSecret);
        if (auth["secret_file"]) {
            const QString file = QString::fromStdString(auth["secret_file"].as<std::string>());
            auto secret = readWholeFile(file);
            if (!secret)
                return error(auth["secret_file"].Mark(),
                             QStringLiteral("auth.secret_file: %1").arg(secret.error().message));
            m_c.authSecret = QString::fromUtf8(secret->trimmed());
        }
        return {};
    }

    Result<void> readTls(const YAML::Node &root)
    {
        if (const YAML::Node tls = root["tls"]) {
            setString(tls, "cert", m_c.tlsCert);
            setString(tls, "key", m_c.tlsKey);
            setString(tls, "ca", m_c.tlsCa);
            setString(tls, "client_ca", m_c.tlsClientCa);
        }
        return {};
    }

    Result<void> readLog(const YAML::Node &root)
    {
        const YAML::Node log = root["log"];
        if (!log)
            return {};
        if (log["level"])
            m_c.logLevels.prepend(QString::fromStdString(log["level"].as<std::string>()));
        if (const YAML::Node subs = log["subsystems"]) {
            for (const auto &item : subs)
                m_c.logLevels.append(QString::fromStdString(item.first.as<std::string>() + "="
                                                            + item.second.as<std::string>()));
        }
        return {};
    }

    QString m_path;
    NodeConfig &m_c;
};

} // namespace

quint16 NodeConfig::effectivePort() const
{
    if (port >= 0)
        return quint16(port);
    return role == Role::Proxy ? 8080 : 0;
}

QStringList NodeConfig::effectiveMountpaths() const
{
    if (!mountpaths.isEmpty())
        return mountpaths;
    return {dataDir + QStringLiteral("/mp1")};
}

QString NodeConfig::effectivePromoteRoot() const
{
    return promoteRoot.isEmpty() ? dataDir + QStringLiteral("/promote") : promoteRoot;
}

QString NodeConfig::effectiveVenvDir() const
{
    if (!venvDir.isEmpty())
        return venvDir;
    return QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation)
        + QStringLiteral("/kiln/venvs");
}

QString NodeConfig::effectiveEtlRuntime() const
{
    if (etlRuntime != QLatin1String("auto"))
        return etlRuntime;
    // A kubeconfig named in the config means Kubernetes even outside a pod.
    if (!kubeconfig.isEmpty() || Kube::KubeConfig::inClusterAvailable())
        return QStringLiteral("kubernetes");
    return QStringLiteral("local");
}

Result<void> NodeConfig::loadYaml(const QString &path)
{
    YAML::Node root;
    try {
        root = YAML::LoadFile(QFile::encodeName(path).toStdString());
    } catch (const YAML::BadFile &) {
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("cannot read config file %1").arg(path));
    } catch (const YAML::Exception &e) {
        return configError(path, e.mark, QString::fromStdString(e.msg));
    }
    if (root.IsNull())
        return {};
    if (!root.IsMap())
        return configError(path, root.Mark(), "the config must be a mapping");
    try {
        ConfigReader reader(path, *this);
        return reader.read(root);
    } catch (const YAML::Exception &e) {
        return configError(path, e.mark, QString::fromStdString(e.msg));
    }
}

Result<void> NodeConfig::validate() const
{
    QStringList problems;
    if (port < -1 || port > 65535)
        problems << QStringLiteral("port %1 is out of range (0-65535)").arg(port);
    if (host.isEmpty())
        problems << QStringLiteral("host is empty");
    if (dataDir.isEmpty())
        problems << QStringLiteral("no data folder (--data or data_dir)");
    if (!id.isEmpty()) {
        for (const QChar c : id) {
            if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != '-' && c != '_') {
                problems << QStringLiteral(
                                "node id \"%1\" may only hold letters, digits, '-' and '_'")
                                .arg(id);
                break;
            }
        }
    }
    if (role == Role::Target) {
        const QUrl url(proxyUrl);
        if (proxyUrl.isEmpty())
            problems << QStringLiteral("a target needs the proxy's URL (--proxy-url or proxy_url)");
        else if (!url.isValid() || (url.scheme() != "http" && url.scheme() != "https")
                 || url.host().isEmpty() || url.port() <= 0)
            problems << QStringLiteral("proxy URL \"%1\" is not of the form http(s)://host:port")
                            .arg(proxyUrl);
    }
    static const QStringList runtimes{"auto", "local", "kubernetes"};
    if (!runtimes.contains(etlRuntime))
        problems << QStringLiteral("etl.runtime \"%1\" is unknown (use %2)")
                        .arg(etlRuntime, runtimes.join(", "));
    if (!kubeconfig.isEmpty() && !QFileInfo::exists(kubeconfig))
        problems << QStringLiteral("etl.kubeconfig %1 does not exist").arg(kubeconfig);
    if (!kubeNamespace.isEmpty()) {
        static const QRegularExpression dns1123(
            QStringLiteral("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"));
        if (!dns1123.match(kubeNamespace).hasMatch())
            problems << QStringLiteral("etl.namespace \"%1\" is not a Kubernetes namespace name")
                            .arg(kubeNamespace);
    }
    if (python.isEmpty())
        problems << QStringLiteral("etl.python is empty");
    if (!QStringList{"off", "auto", "docker", "podman"}.contains(containers))
        problems << QStringLiteral("etl.containers \"%1\" is not one of off, auto, docker, podman")
                        .arg(containers);
    if (imageRuntime != "local" && imageRuntime != "container")
        problems << QStringLiteral("etl.image_runtime \"%1\" is not local or container")
                        .arg(imageRuntime);
    if (imageRuntime == "container" && containers == "off")
        problems << QStringLiteral("etl.image_runtime is container but etl.containers is off");
    if (httpThreads < 0 || httpThreads > 256)
        problems << QStringLiteral("node.http_threads must be 0 (one per core) to 256");
    if (keepaliveInterval.count() < 100)
        problems << QStringLiteral("keepalive interval must be at least 100ms");
    if (tlsCert.isEmpty() != tlsKey.isEmpty())
        problems << QStringLiteral("tls needs both a certificate and its key");
    if (!tlsClientCa.isEmpty() && tlsCert.isEmpty())
        problems << QStringLiteral("tls.client_ca (mutual TLS) needs tls.cert and tls.key");
    if (authEnabled && authSecret.isEmpty())
        problems << QStringLiteral(
            "auth is enabled but has no secret (auth.secret, auth.secret_file or KILN_AUTH_SECRET)");
    if (keepaliveTimeout < keepaliveInterval * 2)
        problems << QStringLiteral("keepalive timeout must be at least twice the interval");
    if (!problems.isEmpty())
        return makeError(ErrorCode::InvalidArgument, problems.join("; "));
    return {};
}

QString defaultDataDir()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
        + QStringLiteral("/kiln");
}

Result<QString> loadOrCreateNodeId(const QString &dataDir)
{
    const QString path = dataDir + QStringLiteral("/node.id");
    if (auto existing = readWholeFile(path)) {
        const QString id = QString::fromUtf8(*existing).trimmed();
        if (!id.isEmpty())
            return id;
    }
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    QString id;
    for (int i = 0; i < 8; ++i)
        id += QChar(alphabet[QRandomGenerator::global()->bounded(int(sizeof alphabet) - 1)]);
    if (!QDir().mkpath(dataDir))
        return makeError(ErrorCode::Internal, QStringLiteral("cannot create %1").arg(dataDir));
    if (auto written = writeFileAtomically(path, id.toUtf8()); !written)
        return written.error();
    return id;
}

} // namespace Kiln::Node
