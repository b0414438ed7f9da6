#include "service/runtime/portowner.h"

#include <QDir>
#include <QFile>
#include <QSet>
#include <QString>

#include <unistd.h>

namespace Kiln::Runtime {
namespace {

constexpr char Listen[] = "0A"; // TCP_LISTEN in /proc/net/tcp's "st" column

// Inodes of the sockets listening on port, from one /proc/net/tcp-style table.
void listeningInodes(const QString &table, quint16 port, QSet<QByteArray> *inodes)
{
    QFile f(table);
    if (!f.open(QIODevice::ReadOnly))
        return;
    f.readLine(); // header
    while (!f.atEnd()) {
        const QList<QByteArray> cols = f.readLine().simplified().split(' ');
        // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
        if (cols.size() < 10 || cols[3] != Listen)
            continue;
        const qsizetype colon = cols[1].lastIndexOf(':');
        bool ok = false;
        if (colon < 0 || cols[1].mid(colon + 1).toUShort(&ok, 16) != port || !ok)
            continue;
        inodes->insert(cols[9]);
    }
}

pid_t groupOf(const QString &pid)
{
    QFile f("/proc/" + pid + "/stat");
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray stat = f.readAll();
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so after the last ')'.
    const QList<QByteArray> rest = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    return rest.size() > 2 ? pid_t(rest[2].toLong()) : -1;
}

} // namespace

bool listenerBelongsToGroup(quint16 port, pid_t pgid)
{
    QSet<QByteArray> inodes;
    listeningInodes(QStringLiteral("/proc/net/tcp"), port, &inodes);
    listeningInodes(QStringLiteral("/proc/net/tcp6"), port, &inodes);
    if (inodes.isEmpty())
        return false;
    const QStringList pids
        = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &pid : pids) {
        if (pid.isEmpty() || !pid[0].isDigit() || groupOf(pid) != pgid)
            continue;
        const QString fdDir = "/proc/" + pid + "/fd";
        const QStringList fds = QDir(fdDir).entryList(QDir::System | QDir::NoDotAndDotDot);
        for (const QString &fd : fds) {
            char link[64];
            const QByteArray path = QFile::encodeName(fdDir + '/' + fd);
            const ssize_t n = ::readlink(path.constData(), link, sizeof link);
            if (n <= 9)
                continue;
            const QByteArray target(link, n); // "socket:[12345]"
            if (target.startsWith("socket:[") && inodes.contains(target.mid(8).chopped(1)))
                return true;
        }
    }
    return false;
}

} // namespace Kiln::Runtime
