// ObjectStore, the read path of a plain GET: open the object's file, then fstat the descriptor,
// so the path is walked once (stat() and then openForRead() walk it twice and fstat once more).
#include "service/target/objectstore.h"

#include "shared/api/names.h"

#include <QFile>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Kiln::Target {

Result<ObjectStore::Opened> ObjectStore::openPrimary(const QString &bucket,
                                                     const QString &name) const
{
    Opened opened;
    ObjectInfo &info = opened.info;
    info.bucket = bucket;
    info.name = name;
    info.mountpath = mountpathFor(bucket, name);
    info.path = objectPath(info.mountpath, bucket, name);
    const QByteArray path = QFile::encodeName(info.path);
    const int fd = ::open(path.constData(), O_RDONLY | O_CLOEXEC);
    struct stat st
    { };
    if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            ::close(fd);
        return objectMissing(bucket, name);
    }
    opened.file = std::make_unique<QFile>();
    if (!opened.file->open(fd, QIODevice::ReadOnly | QIODevice::Unbuffered,
                           QFileDevice::AutoCloseHandle)) {
        ::close(fd);
        return makeError(ErrorCode::Internal,
                         QStringLiteral("cannot read %1: %2")
                             .arg(Api::objectCname(bucket, name), opened.file->errorString()));
    }
    fillFromStat(info, path, st);
    return opened;
}

} // namespace Kiln::Target
