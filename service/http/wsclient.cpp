#include "service/http/wsclient.h"

#include <QCryptographicHash>
#include <QPointer>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QtEndian>

#include <cstring>

namespace Kiln::Http {
namespace {

constexpr char Guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"; // RFC 6455 §1.3
constexpr qint64 SocketReadBuffer = 1024 * 1024;
constexpr qsizetype MaxHandshake = 16 * 1024;
constexpr qsizetype MaxUnparsed = 2 * 1024 * 1024; // read from the socket while paused: no more

enum Opcode : quint8 {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

} // namespace

std::optional<WsFrameHead> readWsFrameHead(const QByteArray &in)
{
    if (in.size() < 2)
        return std::nullopt;
    const auto b0 = quint8(in[0]);
    const auto b1 = quint8(in[1]);
    WsFrameHead head;
    head.fin = b0 & 0x80;
    head.reserved = (b0 & 0x70) != 0;
    head.opcode = b0 & 0x0f;
    head.masked = b1 & 0x80;
    head.length = b1 & 0x7f;
    head.size = 2;
    if (head.length == 126)
        head.size += 2;
    else if (head.length == 127)
        head.size += 8;
    if (head.masked)
        head.size += 4;
    if (in.size() < head.size)
        return std::nullopt;
    if (head.length == 126)
        head.length = qFromBigEndian<quint16>(in.constData() + 2);
    else if (head.length == 127)
        head.length = qFromBigEndian<quint64>(in.constData() + 2);
    return head;
}

namespace {

void applyMask(char *data, qint64 size, const quint8 key[4])
{
    quint64 wide;
    quint8 k8[8];
    for (int i = 0; i < 8; ++i)
        k8[i] = key[i % 4];
    std::memcpy(&wide, k8, 8);
    qint64 i = 0;
    for (; i + 8 <= size; i += 8) {
        quint64 v;
        std::memcpy(&v, data + i, 8);
        v ^= wide;
        std::memcpy(data + i, &v, 8);
    }
    for (; i < size; ++i)
        data[i] = char(quint8(data[i]) ^ key[i % 4]);
}

} // namespace

WsClient::WsClient(QObject *parent)
    : QObject(parent)
    , m_socket(new QTcpSocket(this))
{
    m_socket->setReadBufferSize(SocketReadBuffer);
    connect(m_socket, &QTcpSocket::connected, this, &WsClient::onConnected);
    connect(m_socket, &QTcpSocket::readyRead, this, &WsClient::onReadyRead);
    connect(m_socket, &QTcpSocket::bytesWritten, this, &WsClient::pumpOut);
    connect(m_socket, &QTcpSocket::disconnected, this, [this] {
        fail(m_state == State::Handshake ? QStringLiteral("closed during the websocket handshake")
                                         : QStringLiteral("closed by the instance"));
    });
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
        if (e != QAbstractSocket::RemoteHostClosedError)
            fail(m_socket->errorString());
    });
}

WsClient::~WsClient() = default;

void WsClient::open(const QUrl &url)
{
    m_url = url;
    m_state = State::Connecting;
    m_socket->connectToHost(url.host(), quint16(url.port(80)));
}

void WsClient::onConnected()
{
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    QByteArray nonce(16, Qt::Uninitialized);
    for (char &c : nonce)
        c = char(QRandomGenerator::global()->bounded(256));
    m_key = nonce.toBase64();
    QByteArray path = m_url.path(QUrl::FullyEncoded).toLatin1();
    if (path.isEmpty())
        path = "/";
    if (m_url.hasQuery())
        path += '?' + m_url.query(QUrl::FullyEncoded).toLatin1();
    m_state = State::Handshake;
    m_socket->write("GET " + path + " HTTP/1.1\r\nHost: " + m_url.host().toLatin1() + ':'
                    + QByteArray::number(m_url.port(80))
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + m_key
                    + "\r\nSec-WebSocket-Version: 13\r\n\r\n");
}

void WsClient::onReadyRead()
{
    if (m_state != State::Handshake && m_state != State::Open)
        return;
    if (m_paused && m_in.size() >= MaxUnparsed)
        return; // the socket keeps the rest; TCP pushes back
    m_in += m_socket->read(MaxUnparsed);
    if (m_state == State::Handshake && !parseHandshake())
        return;
    if (m_state == State::Open)
        parseFrames();
}

bool WsClient::parseHandshake()
{
    const qsizetype end = m_in.indexOf("\r\n\r\n");
    if (end < 0) {
        if (m_in.size() > MaxHandshake)
            fail(QStringLiteral("the websocket handshake answer is too long"));
        return false;
    }
    const QList<QByteArray> lines = m_in.left(end).split('\n');
    m_in.remove(0, end + 4);
    const QList<QByteArray> status = lines.value(0).trimmed().split(' ');
    if (status.size() < 2 || !status[0].startsWith("HTTP/1.") || status[1] != "101") {
        fail(QStringLiteral("the websocket handshake was refused: %1")
                 .arg(QString::fromLatin1(lines.value(0).trimmed())));
        return false;
    }
    QByteArray accept;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon > 0 && lines[i].left(colon).trimmed().toLower() == "sec-websocket-accept")
            accept = lines[i].mid(colon + 1).trimmed();
    }
    const QByteArray expected
        = QCryptographicHash::hash(m_key + Guid, QCryptographicHash::Sha1).toBase64();
    if (accept != expected) {
        fail(QStringLiteral("the websocket handshake answer has a wrong Sec-WebSocket-Accept"));
        return false;
    }
    m_state = State::Open;
    QPointer<WsClient> guard(this);
    Q_EMIT opened();
    return guard && m_state == State::Open;
}

bool WsClient::parseFrames()
{
    if (m_parsing)
        return true; // a slot called back into us; the outer loop goes on
    m_parsing = true;
    QPointer<WsClient> guard(this);
    Step step = Step::More;
    while (step == Step::More)
        step = m_inFrame ? takePayload(guard) : takeFrameHead(guard);
    if (guard) {
        m_parsing = false;
        // Room again: take what the socket held back.
        if (step != Step::Stop && alive(guard) && !m_paused && m_socket->bytesAvailable() > 0)
            QMetaObject::invokeMethod(this, &WsClient::onReadyRead, Qt::QueuedConnection);
    }
    return step != Step::Stop;
}

bool WsClient::alive(const QPointer<WsClient> &guard) const
{
    return guard && m_state == State::Open;
}

WsClient::Step WsClient::failStep(const QString &why)
{
    fail(why);
    return Step::Stop;
}

// The payload of the current data frame, as far as it has arrived, then the frame's end.
WsClient::Step WsClient::takePayload(const QPointer<WsClient> &guard)
{
    if (m_frameLeft > 0) {
        if (m_paused || m_in.isEmpty())
            return Step::Wait;
        const qsizetype n = qsizetype(std::min<quint64>(m_frameLeft, quint64(m_in.size())));
        const QByteArray chunk = m_in.left(n);
        m_in.remove(0, n);
        m_frameLeft -= quint64(n);
        m_messageBytes += quint64(n);
        if (m_messageBytes > m_maxMessage)
            return failStep(QStringLiteral("the instance sent a message of more than %1 bytes")
                                .arg(m_maxMessage));
        Q_EMIT messageData(chunk);
        return alive(guard) ? Step::More : Step::Stop;
    }
    m_inFrame = false;
    if (m_frameFin) {
        m_inMessage = false;
        Q_EMIT messageEnded();
        if (!alive(guard))
            return Step::Stop;
    }
    return Step::More;
}

// The next frame's head: a data frame starts (its payload follows), a control frame is handled.
WsClient::Step WsClient::takeFrameHead(const QPointer<WsClient> &guard)
{
    const std::optional<WsFrameHead> head = readWsFrameHead(m_in);
    if (!head)
        return Step::Wait;
    if (head->reserved)
        return failStep(
            QStringLiteral("the instance sent a websocket frame with reserved bits set"));
    if (head->masked)
        return failStep(QStringLiteral("the instance sent a masked websocket frame"));
    if (head->opcode >= Close)
        return takeControlFrame(*head);
    const bool starts = head->opcode == Text || head->opcode == Binary;
    if ((starts && m_inMessage) || (head->opcode == Continuation && !m_inMessage)
        || (!starts && head->opcode != Continuation))
        return failStep(
            QStringLiteral("the instance sent websocket frames out of order (opcode %1)")
                .arg(head->opcode));
    m_in.remove(0, head->size);
    m_inFrame = true;
    m_frameLeft = head->length;
    m_frameFin = head->fin;
    if (starts) {
        m_inMessage = true;
        m_messageBinary = head->opcode == Binary;
        m_messageBytes = 0;
        Q_EMIT messageBegun(m_messageBinary);
        if (!alive(guard))
            return Step::Stop;
    }
    return Step::More;
}

WsClient::Step WsClient::takeControlFrame(const WsFrameHead &head)
{
    if (!head.fin || head.length > 125)
        return failStep(QStringLiteral("the instance sent a malformed websocket control frame"));
    if (m_in.size() < head.size + qsizetype(head.length))
        return Step::Wait;
    const QByteArray payload = m_in.mid(head.size, qsizetype(head.length));
    m_in.remove(0, head.size + qsizetype(head.length));
    if (head.opcode == Close) {
        const int code = payload.size() >= 2 ? qFromBigEndian<quint16>(payload.constData()) : 1005;
        const QString reason = QString::fromUtf8(payload.mid(2));
        writeFrame(Close, true, payload.constData(), std::min<qsizetype>(payload.size(), 2));
        m_socket->disconnectFromHost();
        return failStep(QStringLiteral("closed with code %1 %2").arg(code).arg(reason).trimmed());
    }
    if (head.opcode == Ping)
        writeFrame(Pong, true, payload.constData(), payload.size());
    else if (head.opcode != Pong)
        return failStep(
            QStringLiteral("the instance sent an unknown websocket opcode %1").arg(head.opcode));
    return Step::More;
}

void WsClient::setReadPaused(bool paused)
{
    if (m_paused == paused)
        return;
    m_paused = paused;
    if (!paused && m_state == State::Open)
        QMetaObject::invokeMethod(
            this,
            [this] {
                // parseFrames() takes in what the socket held back once m_in is used up.
                if (m_state == State::Open && !m_paused)
                    parseFrames();
            },
            Qt::QueuedConnection);
}

void WsClient::sendMessage(const QByteArray &payload, bool binary)
{
    if (m_state != State::Open)
        return;
    writeFrame(binary ? Binary : Text, true, payload.constData(), payload.size());
}

void WsClient::sendStream(std::unique_ptr<QIODevice> device, qint64 size)
{
    if (m_state != State::Open)
        return;
    m_outDevice = std::move(device);
    m_outLeft = size;
    m_outFirst = true;
    pumpOut();
}

void WsClient::pumpOut()
{
    QPointer<WsClient> guard(this);
    while (m_outDevice && m_state == State::Open && m_socket->bytesToWrite() < 2 * FrameSize) {
        const qint64 n = std::min(m_outLeft, FrameSize);
        const QByteArray data = m_outDevice->read(n);
        if (data.size() != n) {
            fail(QStringLiteral("reading the object failed after %1 bytes: %2")
                     .arg(data.size())
                     .arg(m_outDevice->errorString()));
            return;
        }
        m_outLeft -= n;
        writeFrame(m_outFirst ? Binary : Continuation, m_outLeft == 0, data.constData(), n);
        m_outFirst = false;
        if (m_outLeft == 0) {
            m_outDevice.reset();
            Q_EMIT sent();
            if (!guard)
                return;
        }
    }
}

void WsClient::writeFrame(quint8 opcode, bool fin, const char *data, qint64 size)
{
    QByteArray frame;
    frame.reserve(14 + size);
    frame.append(char((fin ? 0x80 : 0) | opcode));
    if (size < 126) {
        frame.append(char(0x80 | size));
    } else if (size <= 0xffff) {
        frame.append(char(0x80 | 126));
        char len[2];
        qToBigEndian<quint16>(quint16(size), len);
        frame.append(len, 2);
    } else {
        frame.append(char(0x80 | 127));
        char len[8];
        qToBigEndian<quint64>(quint64(size), len);
        frame.append(len, 8);
    }
    quint8 key[4];
    const quint32 random = QRandomGenerator::global()->generate();
    std::memcpy(key, &random, 4);
    frame.append(reinterpret_cast<const char *>(key), 4);
    const qsizetype at = frame.size();
    frame.append(data, size);
    applyMask(frame.data() + at, size, key);
    m_socket->write(frame);
}

void WsClient::close()
{
    if (m_state == State::Closed)
        return;
    const bool open = m_state == State::Open;
    m_state = State::Closed;
    m_outDevice.reset();
    if (open) {
        char code[2];
        qToBigEndian<quint16>(1000, code);
        writeFrame(Close, true, code, 2);
        m_socket->disconnectFromHost();
    } else {
        m_socket->abort();
    }
}

void WsClient::abort()
{
    m_state = State::Closed;
    m_outDevice.reset();
    m_socket->abort();
}

void WsClient::fail(const QString &why)
{
    if (m_state == State::Closed)
        return;
    m_state = State::Closed;
    m_outDevice.reset();
    if (m_socket->state() != QAbstractSocket::UnconnectedState
        && m_socket->state() != QAbstractSocket::ClosingState)
        m_socket->abort();
    Q_EMIT broken(why);
}

} // namespace Kiln::Http
