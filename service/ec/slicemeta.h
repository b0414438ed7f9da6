#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace Kiln::Ec {

// Metadata every slice or whole replica carries: in its extended attribute on disk and in a
// header on the wire (compact JSON both times).
struct SliceMeta
{
    qint64 objSize = 0;
    int index = 0; // 0..data-1 data slices, data..data+parity-1 parity; 0 for a replica
    int data = 1;
    int parity = 1;
    bool replica = false; // the whole object (smaller than ec.objsize_limit)
    QString objCksumType; // the object's checksum, as its owner stored it
    QString objCksum;
    QString sliceCksum; // xxhash2 of this slice's bytes (SliceCksumType)
    QString version;

    QByteArray toJson() const;
    static std::optional<SliceMeta> fromJson(const QByteArray &json);
    // Same object version (the slices of one PUT agree on all of these).
    bool sameObject(const SliceMeta &o) const;
};

inline constexpr char SliceCksumType[] = "xxhash2";
inline constexpr char MetaHeader[] = "Kiln-Ec-Meta";
inline constexpr char MetaXattr[] = "user.kiln.ec";

// Bytes per slice: the object cut in `data` equal parts, the last one zero-padded.
inline qint64 sliceLength(qint64 objSize, int data)
{
    return (objSize + data - 1) / data;
}

} // namespace Kiln::Ec
