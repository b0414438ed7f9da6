#pragma once

#include "shared/core/result.h"

#include <QByteArray>
#include <QSslConfiguration>
#include <QString>
#include <QUrl>

namespace Kiln::Kube {

// Where the service account's files are mounted in every pod.
inline constexpr char ServiceAccountDir[] = "/var/run/secrets/kubernetes.io/serviceaccount";

// How to reach and authenticate to one Kubernetes API server: the in-cluster service account
// (token, CA and namespace files plus KUBERNETES_SERVICE_HOST/PORT) or a kubeconfig file (the
// current context's cluster and user: bearer token or client certificate, CA as a file or
// inline base64 data). A plain value, copied into each client.
struct KubeConfig
{
    QUrl server; // https://host:port (http:// only for test servers)
    QString nameSpace = QStringLiteral("default");
    QByteArray token; // bearer token; empty with client certificates
    QByteArray caPem; // trusted CA bundle; empty: the system's
    QByteArray clientCertPem; // client certificate + key (kubeconfig users)
    QByteArray clientKeyPem;
    bool insecureSkipVerify = false; // kubeconfig insecure-skip-tls-verify; never the default
    QString source; // "in-cluster" or the kubeconfig path, for messages

    // True when this process runs in a pod with a service account token mounted.
    static bool inClusterAvailable(const QString &saDir = QString::fromLatin1(ServiceAccountDir));
    static Result<KubeConfig> inCluster(const QString &saDir
                                        = QString::fromLatin1(ServiceAccountDir));
    // The kubeconfig's current context (or the named one).
    static Result<KubeConfig> fromKubeconfig(const QString &path, const QString &context = {});

    // TLS settings for requests to server: its CA only, peer verified, client certificate.
    Result<QSslConfiguration> sslConfiguration() const;
};

} // namespace Kiln::Kube
