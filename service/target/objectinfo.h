#pragma once

#include <QMap>
#include <QString>

namespace Kiln::Target {

// Custom metadata of an object: AIS's cos.StrKVs (set-custom, Ais-Custom-Md).
using CustomMd = QMap<QString, QString>;

// What the store knows of one object (its file plus extended attributes).
struct ObjectInfo
{
    QString bucket;
    QString name;
    QString path; // absolute file path (the "FQN")
    QString mountpath;
    qint64 size = 0;
    QString checksum; // hex digest of checksumType; empty when the type is none
    QString checksumType = QStringLiteral("xxhash2");
    QString version; // "1", "2", ...: bumped by every overwrite; empty when versioning is off
    qint64 atimeNs = 0;
    qint64 mtimeNs = 0;
    CustomMd custom;
};

// How new objects of one bucket are written (from its props in the bucket metadata).
struct WriteSettings
{
    QString checksumType = QStringLiteral("xxhash2"); // AIS 5.0's default
    bool versioning = true;
    int copies = 1; // mirror.copies while mirroring is enabled (see Mirror::Replicas)
};

} // namespace Kiln::Target
