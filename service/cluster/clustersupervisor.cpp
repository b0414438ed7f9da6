#include "service/cluster/clustersupervisor.h"

#include "service/auth/clustersecret.h"
#include "service/tls/nodetls.h"
#include "service/tls/selfsignedca.h"

#include "shared/api/wire.h"
#include "shared/api/json.h"
#include "shared/core/duration.h"
#include "shared/core/fileutil.h"
#include "shared/core/logging.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QJsonObject>
#include <QNetworkReply>
#include <QTcpServer>

#include <csignal>
#include <cstdio>
#include <sys/prctl.h>

namespace Kiln::Cluster {

ClusterSupervisor::ClusterSupervisor(ClusterOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    m_readyPoll.setInterval(200);
    connect(&m_readyPoll, &QTimer::timeout, this, &ClusterSupervisor::pollReady);
    m_killTimer.setSingleShot(true);
    m_killTimer.setInterval(10000);
    connect(&m_killTimer, &QTimer::timeout, this, [this] {
        for (Child *c : m_children) {
            if (c->process && c->process->state() != QProcess::NotRunning) {
                Log::cluster().warn("{} did not stop within 10 s: killing it", c->name);
                c->process->kill();
            }
        }
    });
}

ClusterSupervisor::~ClusterSupervisor()
{
    for (Child *c : m_children) {
        if (c->process && c->process->state() != QProcess::NotRunning) {
            c->process->kill();
            c->process->waitForFinished(2000); // process exit only; the event loop is done
        }
        delete c;
    }
}

QString ClusterSupervisor::endpoint() const
{
    return QStringLiteral("%1://%2:%3")
        .arg(m_options.tls ? QStringLiteral("https") : QStringLiteral("http"), m_options.host)
        .arg(m_port);
}

Result<void> ClusterSupervisor::start()
{
    m_clock.start();
    if (m_options.targets < 1 || m_options.targets > 64)
        return makeError(
            ErrorCode::InvalidArgument,
            QStringLiteral("--targets must be between 1 and 64 (got %1)").arg(m_options.targets));
    if (!QDir().mkpath(m_options.dataDir))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("cannot create data folder %1").arg(m_options.dataDir));
    m_port = quint16(m_options.port);
    if (m_port == 0) {
        // Pick a free port for the proxy: the targets must be told where it is.
        QTcpServer probe;
        if (!probe.listen(QHostAddress(m_options.host), 0))
            return makeError(ErrorCode::Unavailable,
                             QStringLiteral("no free port on %1").arg(m_options.host));
        m_port = probe.serverPort();
    }
    const QString program = QCoreApplication::applicationFilePath();
    QStringList common{"--host",
                       m_options.host,
                       "--keepalive-interval",
                       formatDuration(m_options.keepaliveInterval),
                       "--keepalive-timeout",
                       formatDuration(m_options.keepaliveTimeout),
                       "--http-threads",
                       QString::number(m_options.httpThreads)};
    for (const QString &level : m_options.logLevels)
        common << "--log-level" << level;
    // One promote folder for the whole cluster, seen alike by every target (a file share).
    const QString promoteRoot = m_options.promoteRoot.isEmpty()
        ? m_options.dataDir + QStringLiteral("/promote")
        : m_options.promoteRoot;
    QDir().mkpath(promoteRoot);
    common << "--promote-root" << promoteRoot;
    if (m_options.auth) {
        if (auto secret = authSecret(); !secret)
            return secret.error();
        common << "--auth";
    }
    if (m_options.tls) {
        auto flags = tlsFlags();
        if (!flags)
            return flags.error();
        common << *flags;
    }

    auto *proxy = new Child{"proxy",
                            QStringList{"proxy", "--data", m_options.dataDir + "/proxy", "--port",
                                        QString::number(m_port)}
                                + common};
    m_children.append(proxy);
    for (int i = 1; i <= m_options.targets; ++i) {
        QStringList mountpaths;
        for (int m = 1; m_options.mountpaths > 1 && m <= m_options.mountpaths; ++m)
            mountpaths << "--mountpath"
                       << QStringLiteral("%1/target-%2/mp%3").arg(m_options.dataDir).arg(i).arg(m);
        m_children.append(new Child{
            QStringLiteral("target-%1").arg(i),
            QStringList{"target", "--data",
                        QStringLiteral("%1/target-%2").arg(m_options.dataDir).arg(i), "--proxy-url",
                        endpoint()}
                + common + mountpaths
                + (m_options.venvDir.isEmpty() ? QStringList()
                                               : QStringList{"--venv-dir", m_options.venvDir})});
    }
    for (Child *c : m_children)
        startChild(*c);
    m_readyPoll.start();
    return {};
}

Result<void> ClusterSupervisor::authSecret()
{
    QByteArray secret = qgetenv("KILN_AUTH_SECRET");
    const QString file = m_options.dataDir + QStringLiteral("/auth.secret");
    if (secret.isEmpty()) {
        if (auto saved = readWholeFile(file))
            secret = saved->trimmed();
    }
    if (secret.isEmpty()) {
        QByteArray random(32, Qt::Uninitialized);
        QRandomGenerator::system()->generate(random.begin(), random.end());
        secret = random.toHex();
        QFile out(file); // made 0600 from the start: never readable by others
        if (!out.open(QIODevice::WriteOnly | QIODevice::NewOnly,
                      QFileDevice::ReadOwner | QFileDevice::WriteOwner)
            || out.write(secret + '\n') != secret.size() + 1 || !out.flush())
            return makeError(ErrorCode::Internal,
                             QStringLiteral("cannot write %1: %2").arg(file, out.errorString()));
        Log::cluster().info("auth: made a cluster secret in {}", file);
    }
    Auth::ClusterSecret::install(secret);
    qputenv("KILN_AUTH_SECRET", secret); // the nodes' environment (startChild copies it)
    return {};
}

Result<QStringList> ClusterSupervisor::tlsFlags()
{
    QStringList hosts{m_options.host, QStringLiteral("127.0.0.1"), QStringLiteral("localhost")};
    hosts.removeDuplicates();
    auto files = Tls::ensureSelfSignedCa(m_options.dataDir + QStringLiteral("/tls"), hosts);
    if (!files)
        return files.error();
    if (auto trusted = Tls::trustCa(files->ca); !trusted) // this process polls the proxy
        return trusted.error();
    Log::cluster().info("tls: clients trust {}", files->ca);
    QStringList flags{"--tls-cert", files->cert, "--tls-key", files->key, "--tls-ca", files->ca};
    if (!m_options.tlsMutual)
        return flags;
    if (auto shown = Tls::presentClientCertificate(files->clientCert, files->clientKey); !shown)
        return shown.error();
    Log::cluster().info("tls: mutual; clients show {} with {}", files->clientCert,
                        files->clientKey);
    return flags << "--tls-client-ca" << files->ca;
}

void ClusterSupervisor::startChild(Child &child)
{
    auto *process = new QProcess(this);
    child.process = process;
    process->setProgram(QCoreApplication::applicationFilePath());
    process->setArguments(child.arguments);
    // The nodes report AIS's "dev" deployment (one machine, shared disks), as AIS's local
    // playground does, so the CLI counts this machine's capacity once.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("KILN_DEPLOYMENT"), QStringLiteral("dev"));
    process->setProcessEnvironment(env);
    process->setProcessChannelMode(QProcess::ForwardedChannels);
    process->setChildProcessModifier([] {
        // Runs in the child between fork and exec: die with the supervisor, never linger.
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    });
    connect(process, &QProcess::finished, this,
            [this, &child](int code, QProcess::ExitStatus status) {
                onChildFinished(child, code, status);
            });
    connect(process, &QProcess::errorOccurred, this, [this, &child](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            fail(QStringLiteral("%1 failed to start: %2")
                     .arg(child.name, child.process->errorString()));
    });
    Log::cluster().debug("starting {}: {}", child.name, child.arguments.join(' '));
    process->start();
}

void ClusterSupervisor::onChildFinished(Child &child, int exitCode, QProcess::ExitStatus status)
{
    child.process->deleteLater();
    child.process = nullptr;
    if (m_stopping) {
        maybeFinish();
        return;
    }
    // A target that exits 0 left on purpose (decommissioned, shutdown-node, a SIGTERM that
    // moved its objects off): restarting it would undo that.
    if (status == QProcess::NormalExit && exitCode == 0 && child.name.startsWith("target")) {
        Log::cluster().info("{} left the cluster; not restarting it", child.name);
        return;
    }
    const QString how = status == QProcess::CrashExit
        ? QStringLiteral("crashed")
        : QStringLiteral("exited with %1").arg(exitCode);
    // Exit code 2 is a configuration error, 1 a failed start (port taken...): restarting will
    // not help.
    if (status == QProcess::NormalExit && (exitCode == 1 || exitCode == 2) && !m_ready)
        return fail(QStringLiteral("%1 %2 during start-up").arg(child.name, how));
    const qint64 now = m_clock.elapsed();
    child.crashTimes.append(now);
    child.crashTimes.removeIf([now](qint64 t) { return now - t > 60000; });
    if (child.crashTimes.size() > 5)
        return fail(
            QStringLiteral("%1 %2, the 6th time within a minute: giving up").arg(child.name, how));
    Log::cluster().error("{} {}; restarting it in 1 s", child.name, how);
    QTimer::singleShot(1000, this, [this, &child] {
        if (!m_stopping)
            startChild(child);
    });
}

void ClusterSupervisor::pollReady()
{
    if (m_ready || m_stopping)
        return;
    if (m_clock.elapsed() > m_options.readyTimeout.count())
        return fail(QStringLiteral("the cluster did not come up within %1")
                        .arg(formatDuration(m_options.readyTimeout)));
    QNetworkRequest request(QUrl(endpoint() + Api::Route::Daemon + QStringLiteral("?what=") + Api::What::Smap));
    request.setTransferTimeout(1000);
    if (Auth::ClusterSecret::isSet())
        request.setRawHeader("Authorization", Auth::ClusterSecret::intraAuthorization());
    QNetworkReply *reply = m_nam.get(request);
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        if (m_ready || m_stopping || reply->error() != QNetworkReply::NoError)
            return;
        auto json = Api::parseObject(reply->readAll(), "smap");
        if (!json || json->value("tmap").toObject().size() < m_options.targets)
            return;
        m_ready = true;
        m_readyPoll.stop();
        (void)writeFileAtomically(m_options.dataDir + "/endpoint", endpoint().toUtf8() + '\n');
        // The one line on stdout: scripts and tests wait for it.
        std::printf("Kiln cluster ready: %s (1 proxy, %d targets; data in %s)\n",
                    qPrintable(endpoint()), m_options.targets, qPrintable(m_options.dataDir));
        std::fflush(stdout);
        Log::cluster().info("cluster ready at {} after {} ms", endpoint(), m_clock.elapsed());
        Q_EMIT ready(endpoint());
    });
}

void ClusterSupervisor::fail(const QString &why)
{
    Log::cluster().error("{}", why);
    m_exitCode = 1;
    shutdown();
}

void ClusterSupervisor::shutdown()
{
    if (m_stopping)
        return;
    m_stopping = true;
    m_readyPoll.stop();
    Log::cluster().info("stopping the cluster");
    for (Child *c : m_children) {
        if (c->process && c->process->state() != QProcess::NotRunning)
            c->process->terminate();
    }
    m_killTimer.start();
    maybeFinish();
}

void ClusterSupervisor::maybeFinish()
{
    for (Child *c : m_children) {
        if (c->process && c->process->state() != QProcess::NotRunning)
            return;
    }
    m_killTimer.stop();
    Log::cluster().info("all nodes stopped");
    Q_EMIT finished(m_exitCode);
}

} // namespace Kiln::Cluster
