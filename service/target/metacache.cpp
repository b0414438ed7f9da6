#include "service/target/metacache.h"

namespace Kiln::Target {
namespace {

qint64 ns(const struct timespec &t)
{
    return qint64(t.tv_sec) * 1000000000 + t.tv_nsec;
}

} // namespace

MetaCache::Entry MetaCache::entryFor(const struct stat &st)
{
    Entry e;
    e.dev = st.st_dev;
    e.ino = st.st_ino;
    e.size = st.st_size;
    e.mtimeNs = ns(st.st_mtim);
    e.ctimeNs = ns(st.st_ctim);
    return e;
}

bool MetaCache::Entry::matches(const struct stat &st) const
{
    return dev == st.st_dev && ino == st.st_ino && size == st.st_size
        && mtimeNs == ns(st.st_mtim) && ctimeNs == ns(st.st_ctim);
}

bool MetaCache::lookup(const QByteArray &path, const struct stat &st, Meta *meta) const
{
    const QMutexLocker locker(&m_lock);
    const auto it = m_entries.constFind(path);
    if (it == m_entries.constEnd() || !it->matches(st))
        return false;
    *meta = it->meta;
    return true;
}

void MetaCache::insert(const QByteArray &path, const struct stat &st, const Meta &meta)
{
    Entry e = entryFor(st);
    e.meta = meta;
    const QMutexLocker locker(&m_lock);
    if (m_entries.size() >= MaxEntries && !m_entries.contains(path))
        m_entries.clear();
    m_entries.insert(path, std::move(e));
}

void MetaCache::drop(const QByteArray &path)
{
    const QMutexLocker locker(&m_lock);
    m_entries.remove(path);
}

void MetaCache::clear()
{
    const QMutexLocker locker(&m_lock);
    m_entries.clear();
}

} // namespace Kiln::Target
