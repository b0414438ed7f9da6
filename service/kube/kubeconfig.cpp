#include "service/kube/kubeconfig.h"

#include "shared/core/fileutil.h"

#include <yaml-cpp/yaml.h>

#include <QDir>
#include <QFileInfo>
#include <QSslCertificate>
#include <QSslKey>

namespace Kiln::Kube {
namespace {

Error configError(const QString &source, const QString &what)
{
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("Kubernetes config %1: %2").arg(source, what));
}

QString text(const YAML::Node &node, const char *key)
{
    const YAML::Node value = node[key];
    return value && value.IsScalar() ? QString::fromStdString(value.as<std::string>()) : QString();
}

// The named entry of a kubeconfig list (clusters, users, contexts): its inner map, or a null
// node when there is none.
YAML::Node findNamed(const YAML::Node &list, const char *inner, const QString &name)
{
    if (!list || !list.IsSequence())
        return YAML::Node(YAML::NodeType::Null);
    for (const YAML::Node &item : list) {
        if (text(item, "name") == name && item[inner] && item[inner].IsMap())
            return item[inner];
    }
    return YAML::Node(YAML::NodeType::Null);
}

// Inline base64 data wins over a file path; relative paths are relative to the kubeconfig.
Result<QByteArray> dataOrFile(const YAML::Node &node, const char *dataKey, const char *fileKey,
                              const QString &baseDir, const QString &source)
{
    if (const QString data = text(node, dataKey); !data.isEmpty()) {
        const auto decoded = QByteArray::fromBase64Encoding(
            data.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded)
            return configError(source, QStringLiteral("%1 is not valid base64").arg(dataKey));
        return *decoded;
    }
    const QString file = text(node, fileKey);
    if (file.isEmpty())
        return QByteArray();
    const QString path = QDir(baseDir).absoluteFilePath(file);
    auto content = readWholeFile(path);
    if (!content)
        return configError(source, QStringLiteral("cannot read %1 %2").arg(fileKey, path));
    return *content;
}

} // namespace

bool KubeConfig::inClusterAvailable(const QString &saDir)
{
    return !qEnvironmentVariableIsEmpty("KUBERNETES_SERVICE_HOST")
        && QFileInfo::exists(saDir + QStringLiteral("/token"));
}

Result<KubeConfig> KubeConfig::inCluster(const QString &saDir)
{
    KubeConfig config;
    config.source = QStringLiteral("in-cluster");
    const QString host = qEnvironmentVariable("KUBERNETES_SERVICE_HOST");
    const QString port = qEnvironmentVariable("KUBERNETES_SERVICE_PORT", QStringLiteral("443"));
    if (host.isEmpty())
        return configError(config.source, "KUBERNETES_SERVICE_HOST is not set: not in a pod");
    // An IPv6 service address needs brackets in a URL.
    config.server = QUrl(
        QStringLiteral("https://%1:%2").arg(host.contains(':') ? '[' + host + ']' : host, port));
    auto token = readWholeFile(saDir + QStringLiteral("/token"));
    if (!token)
        return configError(
            config.source,
            QStringLiteral("cannot read the service account token in %1").arg(saDir));
    config.token = token->trimmed();
    auto ca = readWholeFile(saDir + QStringLiteral("/ca.crt"));
    if (!ca)
        return configError(config.source,
                           QStringLiteral("cannot read the cluster CA %1/ca.crt").arg(saDir));
    config.caPem = *ca;
    // AIS's order: K8S_NS, then the service account's namespace, then "default".
    if (const QString ns = qEnvironmentVariable("K8S_NS"); !ns.isEmpty())
        config.nameSpace = ns;
    else if (auto ns = readWholeFile(saDir + QStringLiteral("/namespace"));
             ns && !ns->trimmed().isEmpty())
        config.nameSpace = QString::fromUtf8(ns->trimmed());
    return config;
}

Result<KubeConfig> KubeConfig::fromKubeconfig(const QString &path, const QString &contextName)
{
    KubeConfig config;
    config.source = path;
    YAML::Node root;
    try {
        root = YAML::LoadFile(QFile::encodeName(path).toStdString());
    } catch (const YAML::BadFile &) {
        return configError(path, "cannot read the file");
    } catch (const YAML::Exception &e) {
        return configError(path, QString::fromStdString(e.msg));
    }
    try {
        const QString current = contextName.isEmpty() ? text(root, "current-context") : contextName;
        if (current.isEmpty())
            return configError(path, "no current-context");
        const YAML::Node context = findNamed(root["contexts"], "context", current);
        if (!context.IsMap())
            return configError(path, QStringLiteral("context \"%1\" is not defined").arg(current));
        const QString clusterName = text(context, "cluster");
        const YAML::Node cluster = findNamed(root["clusters"], "cluster", clusterName);
        if (!cluster.IsMap())
            return configError(path,
                               QStringLiteral("cluster \"%1\" is not defined").arg(clusterName));
        config.server = QUrl(text(cluster, "server"));
        if (!config.server.isValid() || config.server.host().isEmpty()
            || (config.server.scheme() != "https" && config.server.scheme() != "http"))
            return configError(
                path, QStringLiteral("cluster \"%1\" has no usable server URL").arg(clusterName));
        config.insecureSkipVerify = text(cluster, "insecure-skip-tls-verify") == "true";
        const QString baseDir = QFileInfo(path).absolutePath();
        auto ca = dataOrFile(cluster, "certificate-authority-data", "certificate-authority",
                             baseDir, path);
        if (!ca)
            return ca.error();
        config.caPem = *ca;
        if (const QString ns = text(context, "namespace"); !ns.isEmpty())
            config.nameSpace = ns;
        const QString userName = text(context, "user");
        const YAML::Node user = findNamed(root["users"], "user", userName);
        if (!userName.isEmpty() && !user.IsMap())
            return configError(path, QStringLiteral("user \"%1\" is not defined").arg(userName));
        if (user.IsMap()) {
            config.token = text(user, "token").toUtf8();
            if (config.token.isEmpty() && !text(user, "tokenFile").isEmpty()) {
                auto token = readWholeFile(QDir(baseDir).absoluteFilePath(text(user, "tokenFile")));
                if (!token)
                    return configError(path, "cannot read the user's tokenFile");
                config.token = token->trimmed();
            }
            auto cert
                = dataOrFile(user, "client-certificate-data", "client-certificate", baseDir, path);
            if (!cert)
                return cert.error();
            auto key = dataOrFile(user, "client-key-data", "client-key", baseDir, path);
            if (!key)
                return key.error();
            config.clientCertPem = *cert;
            config.clientKeyPem = *key;
            if (config.clientCertPem.isEmpty() != config.clientKeyPem.isEmpty())
                return configError(path,
                                   QStringLiteral("user \"%1\" has a client certificate "
                                                  "without its key, or a key without it")
                                       .arg(userName));
            if (user["exec"] || user["auth-provider"])
                if (config.token.isEmpty() && config.clientCertPem.isEmpty())
                    return configError(path,
                                       QStringLiteral("user \"%1\" authenticates through "
                                                      "an exec or auth-provider plugin, "
                                                      "which Kiln does not run; give it a "
                                                      "token or a client certificate")
                                           .arg(userName));
        }
    } catch (const YAML::Exception &e) {
        return configError(path, QString::fromStdString(e.msg));
    }
    return config;
}

Result<QSslConfiguration> KubeConfig::sslConfiguration() const
{
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    if (!caPem.isEmpty()) {
        const QList<QSslCertificate> cas = QSslCertificate::fromData(caPem, QSsl::Pem);
        if (cas.isEmpty())
            return configError(source, "the cluster CA holds no PEM certificate");
        // Only the cluster's CA: a public CA must not vouch for the API server.
        ssl.setCaCertificates(cas);
    }
    ssl.setPeerVerifyMode(insecureSkipVerify ? QSslSocket::VerifyNone : QSslSocket::VerifyPeer);
    if (!clientCertPem.isEmpty()) {
        const QList<QSslCertificate> certs = QSslCertificate::fromData(clientCertPem, QSsl::Pem);
        if (certs.isEmpty())
            return configError(source, "the client certificate is not PEM");
        QSslKey key(clientKeyPem, QSsl::Ec, QSsl::Pem);
        if (key.isNull())
            key = QSslKey(clientKeyPem, QSsl::Rsa, QSsl::Pem);
        if (key.isNull())
            return configError(source, "the client key is neither an EC nor an RSA PEM key");
        ssl.setLocalCertificate(certs.first());
        ssl.setPrivateKey(key);
    }
    return ssl;
}

} // namespace Kiln::Kube
