#pragma once

#include <QByteArray>
#include <QHash>
#include <QIODevice>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QString>
#include <QUrl>

#include <memory>

namespace Kiln::Http {

class ClientConnection;
class HttpClient;

// One HTTP/1.1 request to a plain-http server.
struct ClientRequest
{
    QByteArray method = "GET";
    QUrl url; // http://host:port/path?query, already encoded as it should go on the wire
    QList<QPair<QByteArray, QByteArray>> headers;
    // The body: bytes in memory, or a seekable device read from its current position
    // (bodySize bytes; the call owns it and can rewind it to send the request again).
    QByteArray body;
    std::unique_ptr<QIODevice> bodyDevice;
    qint64 bodySize = 0;
};

// One request and its answer. The answer streams in while the body is still going out (a server
// that answers as it reads never deadlocks), and at most MaxBuffered bytes of it wait here: when
// the reader falls behind, the socket is not read, and TCP slows the server down.
// Signals come from the event loop, never from inside read() or abort().
class ClientCall final : public QObject
{
    Q_OBJECT
public:
    ~ClientCall() override;

    static constexpr qint64 MaxBuffered = 2 * 1024 * 1024;

    bool headersReceived() const { return m_status != 0; }
    int status() const { return m_status; }
    QByteArray header(const QByteArray &lowerName) const;
    qint64 contentLength() const { return m_contentLength; } // -1 when not given
    QByteArray read(qint64 maxBytes);
    qint64 bytesAvailable() const { return m_buffer.size() - m_offset; }
    // The answer is complete, or the call failed (then error() is set).
    bool isFinished() const { return m_finished; }
    QString error() const { return m_error; }
    // The call failed because nothing accepted the connection (a server that is not listening,
    // maybe not any more): AIS retries such a "soft" error, unlike a server that hung up.
    bool connectionRefused() const { return m_refused; }
    // Drops the exchange (its connection is closed); emits nothing more.
    void abort();

Q_SIGNALS:
    void headersArrived();
    void readyRead();
    void finished(); // the whole answer is in (bytes may still wait to be read) or error() is set

private:
    friend class ClientConnection;
    friend class HttpClient;
    explicit ClientCall(ClientRequest request, QObject *parent);

    ClientRequest m_request;
    QPointer<ClientConnection> m_connection;
    int m_status = 0;
    qint64 m_contentLength = -1;
    QList<QPair<QByteArray, QByteArray>> m_headers; // names lower-case
    QByteArray m_buffer;
    qsizetype m_offset = 0; // read position in m_buffer
    bool m_finished = false;
    bool m_aborted = false;
    int m_attempts = 0;
    QString m_error;
    bool m_refused = false;
};

// A small HTTP/1.1 client for ETL instances: keep-alive connections pooled per host and port,
// TCP_NODELAY, the request head and a small body in one write, streamed bodies both ways with
// bounded memory. (Qt's own client reads an answer only after the upload, sends head and body in
// separate writes without TCP_NODELAY, and does not bound an answer to a request with a body.)
// Lives on one thread; calls belong to the caller's parent.
class HttpClient final : public QObject
{
    Q_OBJECT
public:
    explicit HttpClient(QObject *parent = nullptr);
    ~HttpClient() override;

    ClientCall *send(ClientRequest request, QObject *parent);

    // Idle keep-alive connections kept per host:port.
    static constexpr int MaxIdlePerHost = 32;
    int idleConnections() const;

private:
    friend class ClientConnection;
    void start(ClientCall *call, bool fresh);
    void release(ClientConnection *connection);
    void forget(ClientConnection *connection);

    QHash<QString, QList<ClientConnection *>> m_idle; // children
};

} // namespace Kiln::Http
