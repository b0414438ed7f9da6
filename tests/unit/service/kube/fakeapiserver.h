#pragma once

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QTcpServer>
#include <QUrlQuery>

#include <functional>

class QTcpSocket;

namespace Kiln::Kube::Test {

// A stand-in for kube-apiserver on 127.0.0.1: answers each request from the test's handler with
// the JSON the real server sends (fixtures recorded from it), including watch streams (chunked,
// held open until the test pushes events, ends or drops them). Plain HTTP/1.1 with keep-alive.
class FakeApiServer final : public QObject
{
    Q_OBJECT
public:
    struct Request
    {
        QByteArray method;
        QString path;
        QUrlQuery query;
        QMap<QByteArray, QByteArray> headers; // lower-case names
        QByteArray body;
    };
    struct Reply
    {
        int status = 200;
        QByteArray body;
        bool stream = false; // a watch: chunked, events follow, held open
        QList<QByteArray> events; // stream: sent right away, one line each
        bool drop = false; // close the connection without answering
    };
    using Handler = std::function<Reply(const Request &)>;

    explicit FakeApiServer(QObject *parent = nullptr);
    ~FakeApiServer() override;

    bool listen(); // 127.0.0.1, any free port
    // The same over TLS with the fixtures' server.crt (127.0.0.1, issued by server-ca.crt).
    bool listenTls();
    QString url() const;
    void setHandler(Handler handler) { m_handler = std::move(handler); }

    const QList<Request> &requests() const { return m_requests; }
    QList<Request> requestsTo(const QByteArray &method, const QString &path) const;
    int openStreams() const;
    // To every open watch stream: one event line; a clean end; a cut connection.
    void pushEvent(const QByteArray &line);
    void endStreams();
    void dropStreams();

    // A fixture file's bytes from kube_fixtures/.
    static QByteArray fixture(const QString &name);
    static QByteArray status(int code, const QString &reason, const QString &message);

Q_SIGNALS:
    void requestReceived();

private:
    void onConnection();
    void onReadyRead(QTcpSocket *socket);

    QTcpServer *m_server; // child: a QSslServer after listenTls()
    bool m_tls = false;
    Handler m_handler;
    QList<Request> m_requests;
    QMap<QTcpSocket *, QByteArray> m_buffers;
    QList<QPointer<QTcpSocket>> m_streams;
};

} // namespace Kiln::Kube::Test
