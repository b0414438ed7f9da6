#pragma once

#include "service/http/httpclient.h"

#include <http_parser.h>

#include <QTcpSocket>
#include <QTimer>

namespace Kiln::Http {

// One keep-alive TCP connection of HttpClient: runs one call at a time, uploading its body while
// parsing the answer. Owned by the client while idle, deletes itself when closed.
class ClientConnection final : public QObject
{
    Q_OBJECT
public:
    ClientConnection(QString host, quint16 port, HttpClient *client);
    ~ClientConnection() override;

    QString key() const { return m_host + ':' + QString::number(m_port); }
    void begin(ClientCall *call);
    // The call went away before its answer was complete: the connection cannot be reused.
    void detach();
    // The reader made room: parse what the socket holds.
    void resumeReading();

    static QString keyOf(const QUrl &url);

private:
    friend class HttpClient;
    static const http_parser_settings &parserSettings();
    static int onHeaderField(http_parser *p, const char *at, size_t length);
    static int onHeaderValue(http_parser *p, const char *at, size_t length);
    static int onHeadersComplete(http_parser *p);
    static int onBody(http_parser *p, const char *at, size_t length);
    static int onMessageComplete(http_parser *p);

    void sendHead();
    void pumpBody();
    void pumpBodyFile();
    void bodySent(); // the whole body is out: complete() now if the answer is in
    void parse();
    void deliver();
    void complete();
    void onClosed();
    void fail(const QString &why);
    void close();
    void flushHeader();

    HttpClient *m_client;
    QString m_host;
    quint16 m_port;
    QTcpSocket *m_socket; // child
    QTimer m_idleTimer;
    http_parser m_parser;
    QPointer<ClientCall> m_call;
    int m_served = 0; // answers completed on this connection (> 0: a reused connection)
    qint64 m_bodyLeft = 0;
    // A body device that is a regular file goes out by sendfile(2) from here (FileSender).
    int m_bodyFd = -1;
    qint64 m_bodyOffset = 0;
    bool m_pumpingFile = false; // flush() may emit bytesWritten, which comes back to pumpBody
    bool m_uploadBroken = false; // sendfile found the peer gone: the socket will tell the rest
    bool m_requestDone = false;
    bool m_gotBytes = false;
    bool m_headersNew = false;
    bool m_dataNew = false;
    bool m_messageComplete = false;
    bool m_informational = false; // a 1xx answer before the real one
    bool m_keepAlive = true;
    bool m_closed = false;
    QByteArray m_field;
    QByteArray m_value;
    bool m_inValue = false;
};

} // namespace Kiln::Http
