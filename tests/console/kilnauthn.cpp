#include "kilnauthn.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTcpServer>
#include <QTest>

#include <csignal>
#include <sys/prctl.h>

namespace Kiln::Console::Test {
namespace {

constexpr int StartTimeoutMs = 30000;

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

bool healthy(const QUrl &base)
{
    QNetworkAccessManager nam;
    QUrl url = base;
    url.setPath(QStringLiteral("/v1/health"));
    QNetworkRequest req(url);
    req.setTransferTimeout(2000);
    QNetworkReply *reply = nam.get(req);
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 3000))
        reply->abort();
    const bool ok = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200;
    delete reply;
    return ok;
}

} // namespace

KilnAuthn::~KilnAuthn()
{
    stop();
}

QString KilnAuthn::start()
{
    stop();
    const QString env = qEnvironmentVariable("KILND");
    const QString kilnd = env.isEmpty() ? QStringLiteral(KILND_PATH) : env;
    const quint16 port = freePort();
    m_url = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
    m_process->start(kilnd, {QStringLiteral("authn"), QStringLiteral("--data"), m_dir.path(),
                             QStringLiteral("--port"), QString::number(port),
                             QStringLiteral("--host"), QStringLiteral("127.0.0.1")});
    const bool up = QTest::qWaitFor(
        [this] { return m_process->state() == QProcess::NotRunning || healthy(m_url); },
        StartTimeoutMs);
    if (!up || m_process->state() == QProcess::NotRunning)
        return QStringLiteral("kilnd authn did not get ready:\n%1")
            .arg(QString::fromUtf8(m_process->readAll()));
    return {};
}

void KilnAuthn::stop()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(10000)) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }
    m_process.reset();
}

} // namespace Kiln::Console::Test
