#pragma once

#include "shared/core/result.h"

#include <QByteArray>
#include <QString>

namespace Kiln {

// Writes a small file so that readers see the old content or the new, never a mix: temporary
// file beside it, fsync, rename, fsync of the folder.
Result<void> writeFileAtomically(const QString &path, const QByteArray &content);
// The whole of a small file; NotFound when it does not exist.
Result<QByteArray> readWholeFile(const QString &path);

} // namespace Kiln
