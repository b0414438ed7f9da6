#pragma once

#include <QObject>
#include <QSslConfiguration>
#include <QString>
#include <QTimer>

#include <functional>

namespace Kiln::Tls {

// What a poll compares of a file: a change of any means new contents.
struct FileStamp
{
    qint64 mtimeNs = -1;
    qint64 size = -1;
    quint64 inode = 0;
    bool operator==(const FileStamp &) const = default;
};

// A node's certificate and key files, watched so that a renewed pair is served without a
// restart (AIS reloads its certificates too). The files are polled (a rename over them, as
// certificate tools do, defeats inotify watches); a change is taken once both files have stayed
// the same for one more poll, so a pair written one file after the other is never half-read.
// A pair that does not load (unreadable, not PEM, a key that is not the certificate's) is logged
// and ignored: the node keeps serving the last good pair. New connections get the new pair;
// open ones keep theirs. Lives on the node's event loop; a poll is two stat() calls.
class CertReloader final : public QObject
{
    Q_OBJECT
public:
    using Apply = std::function<void(const QSslConfiguration &)>;
    // clientCaPath: as serverConfiguration's (empty: no client certificates asked for).
    CertReloader(QString certPath, QString keyPath, QString clientCaPath, Apply apply,
                 QObject *parent = nullptr, int pollMs = 1000);

    int reloads() const { return m_reloads; }

private:
    using Stamp = FileStamp;
    static Stamp stampOf(const QString &path);
    void poll();

    QString m_cert;
    QString m_key;
    QString m_clientCa;
    Apply m_apply;
    QTimer m_timer;
    QPair<Stamp, Stamp> m_loaded; // what the served pair was read from (or last refused)
    QPair<Stamp, Stamp> m_seen; // what the last poll saw
    int m_reloads = 0;
};

} // namespace Kiln::Tls
