#pragma once

#include "shared/core/result.h"

#include <QString>

namespace Kiln::Api {

// AIS bucket names: letters, digits, '-', '_', '.'; 1..64 characters; not "." or "..".
Result<void> validateBucketName(const QString &name);

// Object names map onto files below a mountpath, so anything that could leave it or collide
// with the store's own layout is refused: empty, over 1024 bytes, NUL, a leading '/', empty,
// "." or ".." path components, a component over 255 bytes.
inline constexpr int MaxObjectNameBytes = 1024;
Result<void> validateObjectName(const QString &name);

// "ais://bucket" and "ais://bucket/object" as AIS messages spell them (the SDK parses these).
QString bucketCname(const QString &bucket);
QString objectCname(const QString &bucket, const QString &object);

} // namespace Kiln::Api
