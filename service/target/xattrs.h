#pragma once

#include "service/target/objectinfo.h"

#include <QByteArray>

namespace Kiln::Target::Xattrs {

// Object metadata keys, stored as user extended attributes of the object file.
inline constexpr char Checksum[] = "user.kiln.cksum";
inline constexpr char ChecksumType[]
    = "user.kiln.cktype"; // absent: xxhash2 (XXH64, the only one once)
inline constexpr char Version[] = "user.kiln.ver";
inline constexpr char Custom[] = "user.kiln.custom"; // JSON object of the custom metadata

QByteArray get(const QByteArray &path, const char *key);
bool set(int fd, const char *key, const QByteArray &value);
bool set(const QByteArray &path, const char *key, const QByteArray &value);
bool remove(int fd, const char *key);
bool remove(const QByteArray &path, const char *key);

// Custom metadata as stored: a compact JSON object of strings.
QByteArray encodeCustom(const CustomMd &custom);
CustomMd decodeCustom(const QByteArray &stored);

} // namespace Kiln::Target::Xattrs
