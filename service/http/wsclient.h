#pragma once

#include <QByteArray>
#include <QIODevice>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>
#include <QUrl>

#include <memory>
#include <optional>

class QTcpSocket;

namespace Kiln::Http {

// The head of one websocket frame (RFC 6455 §5.2) at the start of a buffer.
struct WsFrameHead
{
    bool fin = false;
    bool reserved = false; // any of RSV1-3 set
    bool masked = false;
    quint8 opcode = 0;
    quint64 length = 0; // payload bytes
    qsizetype size = 0; // bytes of the head itself (mask key included)
};

// nullopt while not all of the head has arrived.
std::optional<WsFrameHead> readWsFrameHead(const QByteArray &in);

// A client websocket (RFC 6455) that streams messages both ways: a message goes out in frames read
// from a device as the socket drains, and an incoming message is handed on frame by frame as it
// arrives. The reader can pause it (setReadPaused): then the socket is not read and TCP slows the
// server down, so neither direction ever holds a whole message. (QWebSocket sends and delivers
// only whole messages, and caps them at 2 GiB.) Lives on one thread.
class WsClient final : public QObject
{
    Q_OBJECT
public:
    explicit WsClient(QObject *parent = nullptr);
    ~WsClient() override;

    static constexpr qint64 FrameSize = 1024 * 1024; // outgoing data frames
    static constexpr quint64 DefaultMaxMessage = quint64(16) << 30;

    void setMaxMessageSize(quint64 bytes) { m_maxMessage = bytes; }
    // Connects and upgrades; ends with opened() or broken().
    void open(const QUrl &url);
    bool isOpen() const { return m_state == State::Open; }

    // One whole message in one frame (small messages: control, text).
    void sendMessage(const QByteArray &payload, bool binary = true);
    // A binary message of size bytes read from device as the socket drains; sent() when all of
    // it is on its way. One streamed message at a time.
    void sendStream(std::unique_ptr<QIODevice> device, qint64 size);
    bool isSending() const { return m_outDevice != nullptr; }

    // While paused, nothing more is read from the socket (and no signals about data arrive).
    void setReadPaused(bool paused);
    // Closes with a close frame (code 1000) if open, else drops the connection; emits nothing.
    void close();
    void abort();

Q_SIGNALS:
    void opened();
    void messageBegun(bool binary);
    void messageData(const QByteArray &chunk);
    void messageEnded();
    void sent();
    // The connection is gone (an error, a close frame from the server, a protocol violation).
    void broken(const QString &why);

private:
    enum class State { Idle, Connecting, Handshake, Open, Closed };
    // One parsing step: go on, wait for more bytes (or for the reader), or stop (failed, gone).
    enum class Step { More, Wait, Stop };

    void onConnected();
    void onReadyRead();
    void pumpOut();
    bool parseHandshake();
    bool parseFrames();
    Step takePayload(const QPointer<WsClient> &guard);
    Step takeFrameHead(const QPointer<WsClient> &guard);
    Step takeControlFrame(const WsFrameHead &head);
    Step failStep(const QString &why);
    bool alive(const QPointer<WsClient> &guard) const;
    void writeFrame(quint8 opcode, bool fin, const char *data, qint64 size);
    void fail(const QString &why);

    QTcpSocket *m_socket; // child
    State m_state = State::Idle;
    QUrl m_url;
    QByteArray m_key;
    QByteArray m_in; // bytes received and not parsed yet
    quint64 m_maxMessage = DefaultMaxMessage;
    bool m_paused = false;
    bool m_parsing = false;

    // The frame being received.
    bool m_inMessage = false;
    bool m_messageBinary = true;
    quint64 m_messageBytes = 0;
    quint64 m_frameLeft = 0; // payload bytes of the current data frame still to come
    bool m_frameFin = false;
    bool m_inFrame = false;

    // The message going out.
    std::unique_ptr<QIODevice> m_outDevice;
    qint64 m_outLeft = 0;
    bool m_outFirst = true;
};

} // namespace Kiln::Http
