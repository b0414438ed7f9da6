#pragma once

#include "shared/core/result.h"

#include <QString>

namespace Kiln::Api {

// AIS bucket names: ASCII letters, digits, '-', '_', '.'; 1..64 bytes; no leading '.' (AIS
// keeps those for system buckets) and no "..". Errors in AIS's words.
inline constexpr int MaxBucketNameBytes = 64;
Result<void> validateBucketName(const QString &name);

// What AIS refuses (empty, a trailing '/', a leading "~/", "." or ".." components: its words,
// tcode errInvalidPath), and, since an object is the file of the same path below a mountpath,
// what could leave it or collide with the store's own layout: over 1024 bytes, NUL, a leading
// '/', empty components, a component over 255 bytes.
inline constexpr int MaxObjectNameBytes = 1024;
Result<void> validateObjectName(const QString &name);

// "ais://bucket" and "ais://bucket/object" as AIS messages spell them (the SDK parses these).
QString bucketCname(const QString &bucket);
QString objectCname(const QString &bucket, const QString &object);

} // namespace Kiln::Api
