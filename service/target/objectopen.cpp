// ObjectStore, the read path of a plain GET: open the object's file, then fstat the descriptor,
// so the path is walked once (stat() and then openForRead() walk it twice and fstat once more).
#include "service/target/objectstore.h"
#include "shared/api/names.h"

#include <QFile>

#include <sys/stat.h>

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
    OwnedFd fd = OwnedFd::openReadOnly(path.constData());
    struct stat st
    { };
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        return objectMissing(bucket, name);
    opened.fd = std::move(fd);
    fillFromStat(info, path, st);
    return opened;
}

} // namespace Kiln::Target
