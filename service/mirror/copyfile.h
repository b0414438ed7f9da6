#pragma once

#include "shared/core/result.h"

#include <QByteArray>
#include <QString>

#include <sys/stat.h>

namespace Kiln::Mirror {

// One object file as read for mirroring: its metadata (the extended attributes) and identity,
// taken from one open descriptor, so a rename over the path in between cannot mix two versions.
struct CopyMeta
{
    QByteArray checksum;
    QByteArray checksumType;
    QByteArray version;
    QByteArray custom;
    dev_t dev = 0;
    ino_t ino = 0;
    qint64 size = 0;
};

// What a read of one copy found.
enum class CopyState { Good, Missing, Corrupt };

// Reads the whole file at path and checks it against the checksum in its own extended attributes
// (a type of none, or no checksum, counts as good). Blocking.
CopyState verifyFile(const QByteArray &path, CopyMeta *meta);

// Copies src (whose metadata is meta) to dst through a temporary file in tmpDir: bytes, then the
// same extended attributes, fsync, rename. Checks the bytes it copied against meta's checksum,
// so a source that changed under it fails. Blocking.
Result<void> copyFile(const QByteArray &src, const CopyMeta &meta, const QString &dst,
                      const QString &tmpDir);

} // namespace Kiln::Mirror
