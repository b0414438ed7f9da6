#pragma once

#include <QObject>
#include <QString>
#include <QTimer>

namespace Kiln::Runtime {

// io:// objects of a code ETL run as processes forked by one warm interpreter per instance
// (resources/python/kiln_io_forkserver.py), instead of an interpreter started per object. The
// target hands each object to it with kiln-io-attach, which it starts as it would start the
// object's own process, so the object's path in the target is the same either way.
namespace IoForkServer {

// The server's Unix socket, made in the instance's working directory. Relative, because a
// socket's path is limited to 107 bytes and data folders can be deeper than that.
inline constexpr char SocketName[] = "kiln-io.sock";
inline constexpr char ScriptName[] = "kiln_io_forkserver.py";

// kiln-io-attach beside kilnd (a build tree) or in ../libexec/kiln (installed); empty when
// neither has it, and io:// objects then start a process each, as without the server.
QString attachProgram();

} // namespace IoForkServer

// Waits for a file to appear: the fork server's socket, which it renames into place once it
// listens. Polls, since the file is made inside the sandbox's own mount namespace.
class SocketProbe final : public QObject
{
    Q_OBJECT
public:
    explicit SocketProbe(QObject *parent = nullptr);

    void start(const QString &path);
    void stop() { m_timer.stop(); }

Q_SIGNALS:
    void succeeded(); // the probing has stopped

private:
    void probe();

    QTimer m_timer;
    QString m_path;
};

} // namespace Kiln::Runtime
