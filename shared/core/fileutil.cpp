#include "shared/core/fileutil.h"

#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

namespace Kiln {

Result<void> writeFileAtomically(const QString &path, const QByteArray &content)
{
    QSaveFile file(path); // temp file + fsync + rename on commit
    if (!file.open(QIODevice::WriteOnly))
        return makeError(ErrorCode::Internal,
                         QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    if (file.write(content) != content.size() || !file.commit())
        return makeError(ErrorCode::Internal,
                         QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    return {};
}

Result<QByteArray> readWholeFile(const QString &path)
{
    QFile file(path);
    if (!file.exists())
        return makeError(ErrorCode::NotFound, QStringLiteral("%1 does not exist").arg(path));
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Internal,
                         QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    return file.readAll();
}

} // namespace Kiln
