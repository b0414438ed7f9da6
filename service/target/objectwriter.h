#pragma once

#include "service/target/objectinfo.h"
#include "shared/core/result.h"

#include <QFuture>
#include <QString>

#include <memory>

namespace Kiln::Target {

class ObjectStore;

// Receives one object's bytes into a temporary file on the object's mountpath, hashing as it
// goes; commit() fsyncs and renames it over the final name on the store's I/O pool, so readers
// see the old version or the new one, never a mix. A writer destroyed before commit removes its
// temporary file: a failed or aborted PUT leaves nothing behind.
class ObjectWriter final
{
public:
    ObjectWriter(const ObjectWriter &) = delete;
    ObjectWriter &operator=(const ObjectWriter &) = delete;
    ~ObjectWriter();

    Result<void> write(const char *data, qsizetype size);
    qint64 bytesWritten() const { return m_written; }
    // Consumes the writer's file. The future completes on the I/O pool.
    QFuture<Result<ObjectInfo>> commit();
    void abort();

private:
    friend class ObjectStore;
    ObjectWriter(ObjectStore *store, ObjectInfo target, QString tempPath, int fd);

    struct Hasher;
    ObjectStore *m_store;
    ObjectInfo m_target; // bucket, name, path, mountpath of the final object
    QString m_tempPath;
    int m_fd;
    qint64 m_written = 0;
    std::unique_ptr<Hasher> m_hasher;
};

} // namespace Kiln::Target
