#include "kilncluster.h"

#include "shared/etl/initmsg.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTest>

#include <csignal>
#include <sys/prctl.h>

namespace Kiln::Console::Test {
namespace {

constexpr int StartTimeoutMs = 30000;
constexpr int InitTimeoutMs = 90000;

QString kilndPath()
{
    const QString env = qEnvironmentVariable("KILND");
    return env.isEmpty() ? QStringLiteral(KILND_PATH) : env;
}

// One blocking HTTP call for test setup, bounded by a deadline.
int httpCall(const QByteArray &method, const QUrl &url, const QByteArray &body, QString *error)
{
    QNetworkAccessManager nam;
    QNetworkRequest req(url);
    req.setTransferTimeout(30000);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                     QNetworkRequest::NoLessSafeRedirectPolicy);
    if (!body.isEmpty() || method == "PUT")
        req.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    QNetworkReply *reply = nam.sendCustomRequest(req, method, body);
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 40000)) {
        *error
            = QStringLiteral("%1 %2: no answer").arg(QString::fromLatin1(method), url.toString());
        return 0;
    }
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status != 200)
        *error = QStringLiteral("%1 %2: %3 %4")
                     .arg(QString::fromLatin1(method), url.toString())
                     .arg(status)
                     .arg(QString::fromUtf8(reply->readAll()));
    reply->deleteLater();
    return status;
}

} // namespace

KilnCluster::KilnCluster(int targets, const QStringList &extraArgs)
    : m_targets(targets)
    , m_extraArgs(extraArgs)
{ }

KilnCluster::~KilnCluster()
{
    stop();
}

QString KilnCluster::start(quint16 port)
{
    stop();
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    // A test that crashes must not leave a cluster behind: the supervisor gets SIGTERM when
    // the test process dies, and stops its nodes (which have the same arrangement with it).
    m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
    const QStringList args{QStringLiteral("cluster"), QStringLiteral("--targets"),
                           QString::number(m_targets), QStringLiteral("--port"),
                           QString::number(port), QStringLiteral("--data"), dataDir(),
                           QStringLiteral("--host"), QStringLiteral("127.0.0.1"),
                           QStringLiteral("--venv-dir"), m_dir.path() + QStringLiteral("/venvs")};
    m_process->start(kilndPath(), args + m_extraArgs);
    static const QRegularExpression ready(
        QStringLiteral("Kiln cluster ready: (https?://127\\.0\\.0\\.1:\\d+)"));
    QByteArray output;
    const bool ok = QTest::qWaitFor(
        [&] {
            output += m_process->readAll();
            const auto m = ready.match(QString::fromUtf8(output));
            if (m.hasMatch())
                m_url = QUrl(m.captured(1));
            return m.hasMatch() || m_process->state() == QProcess::NotRunning;
        },
        StartTimeoutMs);
    if (!ok || m_url.isEmpty())
        return QStringLiteral("kilnd cluster did not get ready:\n%1")
            .arg(QString::fromUtf8(output));
    return {};
}

void KilnCluster::stop()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(20000)) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }
    m_process.reset();
}

qint64 KilnCluster::proxyPid() const
{
    if (!m_process)
        return 0;
    const QString parent = QString::number(m_process->processId());
    for (const QString &pid : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
        if (!stat.open(QIODevice::ReadOnly) || !cmdline.open(QIODevice::ReadOnly))
            continue;
        // stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ')'.
        const QByteArray line = stat.readAll();
        const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
        const QList<QByteArray> args = cmdline.readAll().split('\0');
        if (fields.size() > 1 && fields.at(1) == parent.toLatin1() && args.size() > 1
            && args.at(1) == "proxy")
            return pid.toLongLong();
    }
    return 0;
}

QByteArray KilnCluster::echoPodYaml(const QString &name)
{
    const QString server = QStringLiteral(KILN_ETL_SERVERS "/echo_server.py");
    return QStringLiteral(
               "apiVersion: v1\n"
               "kind: Pod\n"
               "metadata:\n"
               "  name: %1\n"
               "spec:\n"
               "  containers:\n"
               "    - name: server\n"
               "      image: python:3.11\n"
               "      command: [\"python3\", \"%2\", \"--port\", \"8000\", \"--marker\", \"%1\"]\n"
               "      ports:\n"
               "        - name: default\n"
               "          containerPort: 8000\n"
               "      readinessProbe:\n"
               "        httpGet:\n"
               "          path: /health\n"
               "          port: default\n")
        .arg(name, server)
        .toUtf8();
}

QString KilnCluster::initEchoEtl(Api::ApiClient &api, const QString &name)
{
    Etl::InitMsg msg;
    msg.kind = Etl::InitKind::PodSpec;
    msg.name = name;
    msg.comm = Etl::CommType::Hpush;
    msg.podYaml = echoPodYaml(name);
    QObject context;
    std::optional<Result<QString>> answer;
    api.initEtl(msg.toJson(), &context, [&](const Result<QString> &r) { answer = r; });
    if (!QTest::qWaitFor([&] { return answer.has_value(); }, InitTimeoutMs))
        return QStringLiteral("init of %1: no answer").arg(name);
    return *answer ? QString() : answer->error().message;
}

QString KilnCluster::putObjects(const QUrl &url, const QString &bucket,
                                const QList<QPair<QString, QByteArray>> &objects)
{
    QString error;
    QUrl create = url;
    create.setPath(QStringLiteral("/v1/buckets/") + bucket);
    create.setQuery(QStringLiteral("provider=ais"));
    httpCall("POST", create, R"({"action":"create-bck","name":"","value":null})", &error);
    if (!error.isEmpty())
        return error;
    for (const auto &[name, data] : objects) {
        QUrl put = url;
        put.setPath(QStringLiteral("/v1/objects/%1/%2").arg(bucket, name));
        put.setQuery(QStringLiteral("provider=ais"));
        httpCall("PUT", put, data, &error);
        if (!error.isEmpty())
            return error;
    }
    return {};
}

QString KilnCluster::setBucketProps(const QUrl &url, const QString &bucket, const QByteArray &props)
{
    QString error;
    QUrl patch = url;
    patch.setPath(QStringLiteral("/v1/buckets/") + bucket);
    patch.setQuery(QStringLiteral("provider=ais"));
    httpCall("PATCH", patch, R"({"action":"set-bprops","name":"","value":)" + props + '}', &error);
    return error;
}

} // namespace Kiln::Console::Test
