#pragma once

#include <QString>

namespace Kiln::Target {

// What the store knows of one object (its file plus extended attributes).
struct ObjectInfo
{
    QString bucket;
    QString name;
    QString path; // absolute file path (the "FQN")
    QString mountpath;
    qint64 size = 0;
    QString checksum; // xxhash64, 16 hex digits
    QString version; // "1", "2", ...: bumped by every overwrite
    qint64 atimeNs = 0;
    qint64 mtimeNs = 0;
};

} // namespace Kiln::Target
