#pragma once

#include <QByteArray>

namespace Kiln::Target::Xattrs {

// Object metadata keys, stored as user extended attributes of the object file.
inline constexpr char Checksum[] = "user.kiln.cksum";
inline constexpr char Version[] = "user.kiln.ver";

QByteArray get(const QByteArray &path, const char *key);
bool set(int fd, const char *key, const QByteArray &value);

} // namespace Kiln::Target::Xattrs
