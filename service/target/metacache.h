#pragma once

#include "service/target/objectinfo.h"

#include <QByteArray>
#include <QHash>
#include <QMutex>
#include <QString>

#include <sys/stat.h>

namespace Kiln::Target {

// What a GET would otherwise read from an object's extended attributes on every request (four
// getxattr calls), kept per file path. An entry is used only while the file still has the
// device, inode, size, mtime and ctime it had when the attributes were read (a write, an
// attribute change or a replacing rename changes them, at the filesystem's timestamp
// granularity); the store also drops the entries of what it writes, renames over or removes,
// and everything when a bucket goes, so only a change made behind the store's back within one
// clock tick of a GET could go unseen. Bounded: it
// starts over when full. Thread-safe (commits run on the store's I/O pool).
class MetaCache
{
public:
    struct Meta
    {
        QString checksum;
        QString checksumType; // empty: the file has none
        QString version;
        CustomMd custom;
    };

    bool lookup(const QByteArray &path, const struct stat &st, Meta *meta) const;
    void insert(const QByteArray &path, const struct stat &st, const Meta &meta);
    void drop(const QByteArray &path);
    void clear();

    static constexpr int MaxEntries = 65536;

private:
    struct Entry
    {
        dev_t dev = 0;
        ino_t ino = 0;
        off_t size = 0;
        qint64 mtimeNs = 0;
        qint64 ctimeNs = 0;
        Meta meta;
        bool matches(const struct stat &st) const;
    };
    static Entry entryFor(const struct stat &st);

    mutable QMutex m_lock;
    QHash<QByteArray, Entry> m_entries;
};

} // namespace Kiln::Target
