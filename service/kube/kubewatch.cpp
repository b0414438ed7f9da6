#include "service/kube/kubewatch.h"

#include "service/kube/kubeclient.h"
#include "service/kube/kubeerror.h"
#include "shared/core/logging.h"

#include <QJsonDocument>
#include <QNetworkReply>

#include <algorithm>
#include <utility>

namespace Kiln::Kube {
namespace {

// The server ends each watch after this long and a fresh one picks up from the last version.
constexpr int WatchSeconds = 240;
// A stream silent for longer than that is dead (a peer gone without a FIN): give it up then.
constexpr int SilentStreamMs = (WatchSeconds + 30) * 1000;

} // namespace

KubeWatch::KubeWatch(KubeClient *client, KubeRequest request, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_request(std::move(request))
{
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &KubeWatch::connectStream);
}

KubeWatch::~KubeWatch()
{
    stop();
}

void KubeWatch::start(const QString &resourceVersion)
{
    stop();
    m_resourceVersion = resourceVersion;
    m_expired = false;
    m_failuresInRow = 0;
    connectStream();
}

void KubeWatch::stop()
{
    m_retry.stop();
    if (QNetworkReply *reply = std::exchange(m_reply, nullptr).data()) {
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
    m_decoder.clear();
}

void KubeWatch::connectStream()
{
    if (!m_client)
        return;
    KubeRequest r = m_request;
    r.query.addQueryItem(QStringLiteral("watch"), QStringLiteral("true"));
    r.query.addQueryItem(QStringLiteral("allowWatchBookmarks"), QStringLiteral("true"));
    r.query.addQueryItem(QStringLiteral("timeoutSeconds"), QString::number(WatchSeconds));
    if (!m_resourceVersion.isEmpty())
        r.query.addQueryItem(QStringLiteral("resourceVersion"), m_resourceVersion);
    m_decoder.clear();
    m_reply = m_client->send(r, SilentStreamMs);
    connect(m_reply, &QNetworkReply::readyRead, this, &KubeWatch::onReadyRead);
    connect(m_reply, &QNetworkReply::finished, this, &KubeWatch::onFinished);
}

void KubeWatch::onReadyRead()
{
    const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status != 200)
        return; // the error body is read whole in onFinished()
    m_failuresInRow = 0;
    for (const WatchEvent &ev : m_decoder.feed(m_reply->readAll())) {
        handleEvent(ev);
        if (!m_reply || m_expired)
            return; // a handler stopped or restarted the watch
    }
    if (m_decoder.overflowed()) {
        Log::kube().warn("watch {} {}: an event longer than {} bytes; reconnecting",
                         m_request.resource, m_request.name, WatchDecoder::MaxLineBytes);
        stop();
        reconnectLater();
    }
}

void KubeWatch::handleEvent(const WatchEvent &ev)
{
    if (ev.type == QLatin1String("ERROR")) {
        // A Status object in the stream; 410 means our resourceVersion is too old.
        if (ev.statusCode == 410) {
            Log::kube().info("watch {} {}: resource version {} expired; re-listing",
                             m_request.resource, m_request.name, m_resourceVersion);
            stop();
            m_expired = true;
            Q_EMIT expired();
            return;
        }
        Log::kube().warn("watch {} {}: error event {}: {}", m_request.resource, m_request.name,
                         ev.statusCode, ev.message);
        stop();
        reconnectLater();
        return;
    }
    if (!ev.resourceVersion.isEmpty())
        m_resourceVersion = ev.resourceVersion;
    if (ev.type == QLatin1String("BOOKMARK") || ev.type.isEmpty())
        return;
    Q_EMIT event(ev.type, ev.object);
}

void KubeWatch::onFinished()
{
    QNetworkReply *reply = std::exchange(m_reply, nullptr).data();
    if (!reply)
        return;
    reply->deleteLater();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 200) {
        // The server's timeout or a dropped connection: resume where we were.
        if (reply->error() != QNetworkReply::NoError) {
            Log::kube().info("watch {} {}: stream dropped ({}); resuming from {}",
                             m_request.resource, m_request.name, reply->errorString(),
                             m_resourceVersion);
            reconnectLater();
            return;
        }
        ++m_reconnects;
        m_retry.start(0);
        return;
    }
    if (status == 410) {
        m_expired = true;
        Q_EMIT expired();
        return;
    }
    if (status == 0) {
        // No answer at all (refused, reset before headers): the server may be restarting.
        Log::kube().info("watch {} {}: {}; retrying", m_request.resource, m_request.name,
                         reply->errorString());
        reconnectLater();
        return;
    }
    const Error e = apiError(m_request, status, reply->readAll());
    if (status >= 500 || status == 429) {
        reconnectLater();
        return;
    }
    Log::kube().warn("watch {} {}: {}", m_request.resource, m_request.name, e.message);
    Q_EMIT failed(e);
}

void KubeWatch::reconnectLater()
{
    // 0.25 s, 0.5 s, 1 s, 2 s, then every 4 s: a restarting API server is not hammered.
    const int delay = 250 << std::min(m_failuresInRow, 4);
    ++m_failuresInRow;
    ++m_reconnects;
    m_retry.start(delay);
}

} // namespace Kiln::Kube
