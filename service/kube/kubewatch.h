#pragma once

#include "service/kube/kuberequest.h"
#include "service/kube/watchdecoder.h"
#include "shared/core/error.h"

#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QTimer>

class QNetworkReply;

namespace Kiln::Kube {

class KubeClient;

// One watch stream (?watch=true): newline-delimited JSON events {type, object}. Reconnects by
// itself from the last resourceVersion it saw when the server ends the stream or the
// connection drops; says expired() when that version is gone (410), after which the owner
// re-reads the object and calls start() with a fresh version. Lives on the client's thread.
class KubeWatch final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KubeWatch)
public:
    KubeWatch(KubeClient *client, KubeRequest request, QObject *parent = nullptr);
    ~KubeWatch() override;

    void start(const QString &resourceVersion);
    void stop();
    QString resourceVersion() const { return m_resourceVersion; }
    int reconnects() const { return m_reconnects; }

Q_SIGNALS:
    // ADDED, MODIFIED or DELETED with the object (BOOKMARKs only move the version on).
    void event(const QString &type, const QJsonObject &object);
    void expired();
    // Gave up: the API server refused the watch (401, 403, ...).
    void failed(const Kiln::Error &error);

private:
    void connectStream();
    void onReadyRead();
    void onFinished();
    void handleEvent(const WatchEvent &ev);
    void reconnectLater();

    QPointer<KubeClient> m_client;
    KubeRequest m_request;
    QString m_resourceVersion;
    // The current stream; deleted when it ends. The client's manager owns it and may die first.
    QPointer<QNetworkReply> m_reply;
    WatchDecoder m_decoder; // the stream's bytes into events
    QTimer m_retry;
    int m_failuresInRow = 0;
    int m_reconnects = 0;
    bool m_expired = false;
};

} // namespace Kiln::Kube
