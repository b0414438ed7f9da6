#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

#include <optional>

namespace Kiln::Http::Tests {

// One HTTP response as it came off the wire.
struct RawResponse
{
    int status = 0;
    QByteArray reason;
    QList<QPair<QByteArray, QByteArray>> headers; // names lower-cased, in order
    QByteArray body;
    bool chunked = false; // the body came with Transfer-Encoding: chunked

    QByteArray header(const QByteArray &lowerName) const;
    bool closesConnection() const;
};

// A deliberately plain HTTP/1.1 peer over a blocking POSIX socket: it writes exactly the bytes a
// test gives it (garbage, pipelines, half requests) and parses answers itself, so nothing between
// the test and the server fixes anything up. Meant for a thread of its own while the server's
// event loop runs on the main thread; every read has a timeout, so a server that never answers
// fails the test instead of hanging it.
class RawHttpClient final
{
public:
    explicit RawHttpClient(quint16 port, int timeoutMs = 10000);
    ~RawHttpClient();
    RawHttpClient(const RawHttpClient &) = delete;
    RawHttpClient &operator=(const RawHttpClient &) = delete;

    bool isConnected() const { return m_fd >= 0; }
    bool send(const QByteArray &bytes);
    // One response; headOnly for the answer to a HEAD request, which has no body whatever its
    // headers say. Empty when the connection ended or timed out first.
    std::optional<RawResponse> readResponse(bool headOnly = false);
    // Whatever arrives next, up to max bytes; empty on end, error or timeout.
    QByteArray readSome(qsizetype max);
    // True when the server closes the connection (end of stream or reset) before the timeout;
    // anything else it sends meanwhile is dropped.
    bool waitForClose();
    // Leaves with a reset instead of an orderly close, as a crashed client would.
    void abort();
    const QString &lastError() const { return m_error; }

private:
    bool fill();
    bool fillTo(qsizetype size);
    qsizetype lineEnd(qsizetype from);
    QByteArray takeFront(qsizetype size);

    int m_fd = -1;
    QByteArray m_buffer; // received, not yet consumed
    qsizetype m_offset = 0; // consumed prefix of m_buffer (dropped in bulk, not per read)
    QString m_error;
};

} // namespace Kiln::Http::Tests
