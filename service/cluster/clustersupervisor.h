#pragma once

#include "shared/core/result.h"

#include <QElapsedTimer>
#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QProcess>
#include <QStringList>
#include <QTimer>

#include <chrono>

namespace Kiln::Cluster {

struct ClusterOptions
{
    int targets = 3;
    int mountpaths = 1; // per target: <data>/target-N/mp1.. (mirroring needs 2 or more)
    QString dataDir;
    QString host = QStringLiteral("127.0.0.1");
    int port = 8080; // proxy port; 0 = any free port
    QStringList logLevels;
    QString venvDir; // passed to the targets; empty: their default
    QString promoteRoot; // passed to every node; empty: <dataDir>/promote
    std::chrono::milliseconds keepaliveInterval{1000};
    std::chrono::milliseconds keepaliveTimeout{5000};
    std::chrono::milliseconds readyTimeout{60000};
    int httpThreads = 0; // passed to every node (--http-threads); 0: one per core
    // Every node runs with --auth; the secret is $KILN_AUTH_SECRET, else <dataDir>/auth.secret
    // (made once, mode 0600), handed to the nodes in their environment.
    bool auth = false;
    // HTTPS everywhere: a CA and one node certificate (127.0.0.1, localhost, host) made once in
    // <dataDir>/tls (service/tls/selfsignedca), the CA trusted by every node.
    bool tls = false;
    bool tlsMutual = false; // and every client must show a certificate of that CA
};

// `kilnd cluster`: runs one proxy and N targets as child processes of this one, each a
// `kilnd proxy|target` with its own data folder, restarts a node that crashes, and takes them
// all down on SIGINT/SIGTERM (children also get SIGTERM if this process dies, via
// PR_SET_PDEATHSIG, so nothing is orphaned). Lives on the main thread.
class ClusterSupervisor final : public QObject
{
    Q_OBJECT
public:
    explicit ClusterSupervisor(ClusterOptions options, QObject *parent = nullptr);
    ~ClusterSupervisor() override;

    Result<void> start();
    void shutdown();
    QString endpoint() const;

Q_SIGNALS:
    void ready(const QString &endpoint);
    void finished(int exitCode);

private:
    struct Child
    {
        QString name; // "proxy", "target-1", ...
        QStringList arguments;
        QProcess *process = nullptr;
        QList<qint64> crashTimes;
    };

    // The cluster secret (ClusterOptions::auth), installed here and in the environment.
    Result<void> authSecret();
    // The certificate flags of every node (ClusterOptions::tls), the CA trusted here too.
    Result<QStringList> tlsFlags();
    void startChild(Child &child);
    void onChildFinished(Child &child, int exitCode, QProcess::ExitStatus status);
    void pollReady();
    void fail(const QString &why);
    void maybeFinish();

    ClusterOptions m_options;
    quint16 m_port = 0;
    QList<Child *> m_children;
    QNetworkAccessManager m_nam;
    QTimer m_readyPoll;
    QTimer m_killTimer;
    QElapsedTimer m_clock;
    bool m_ready = false;
    bool m_stopping = false;
    int m_exitCode = 0;
};

} // namespace Kiln::Cluster
