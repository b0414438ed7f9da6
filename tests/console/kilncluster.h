#pragma once

#include "shared/api/apiclient.h"

#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>
#include <QUrl>

#include <memory>

namespace Kiln::Console::Test {

// A real `kilnd cluster` (one proxy, N targets) on 127.0.0.1 with a temporary data folder, for
// the console's QtTest suites. The binary comes from the build (KILND_PATH) or $KILND. Every
// wait has a deadline; the destructor stops the cluster (SIGTERM, SIGKILL after 20 s).
class KilnCluster
{
public:
    // extraArgs go to `kilnd cluster` (e.g. --mountpaths 2).
    explicit KilnCluster(int targets = 3, const QStringList &extraArgs = {});
    ~KilnCluster();

    // Starts and waits for the ready line; port 0 picks a free one. Empty on success, otherwise
    // why it did not start (with the process output).
    QString start(quint16 port = 0);
    // SIGTERM and wait: the whole cluster goes away (proxy included).
    void stop();
    // The proxy process the supervisor started (0 when not found), for tests that freeze it.
    qint64 proxyPid() const;
    QUrl url() const { return m_url; }
    quint16 port() const { return quint16(m_url.port()); }
    QString dataDir() const { return m_dir.path() + QStringLiteral("/data"); }
    // What `kilnd cluster --tls` makes: the CA clients trust (and, with --tls-mutual, the
    // client certificate and key).
    QString caFile() const { return dataDir() + QStringLiteral("/tls/ca.pem"); }
    QString clientCertFile() const { return dataDir() + QStringLiteral("/tls/client.pem"); }
    QString clientKeyFile() const { return dataDir() + QStringLiteral("/tls/client.key"); }

    // A pod spec that runs tests/integration/etl_servers/echo_server.py (hpush://).
    static QByteArray echoPodYaml(const QString &name);
    // PUT /v1/etl of a pod spec ETL through the given client, waiting up to 90 s.
    static QString initEchoEtl(Api::ApiClient &api, const QString &name);
    // Creates a bucket and puts objects through plain HTTP calls (test setup only).
    static QString putObjects(const QUrl &url, const QString &bucket,
                              const QList<QPair<QString, QByteArray>> &objects);
    // set-bprops with the given props JSON (test setup only); empty on success.
    static QString setBucketProps(const QUrl &url, const QString &bucket, const QByteArray &props);

private:
    int m_targets;
    QStringList m_extraArgs;
    QTemporaryDir m_dir;
    std::unique_ptr<QProcess> m_process;
    QUrl m_url;
};

} // namespace Kiln::Console::Test
