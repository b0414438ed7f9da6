#include "service/target/xattrs.h"

#include <sys/xattr.h>

namespace Kiln::Target::Xattrs {

QByteArray get(const QByteArray &path, const char *key)
{
    char buffer[256];
    const ssize_t n = ::getxattr(path.constData(), key, buffer, sizeof buffer);
    return n > 0 ? QByteArray(buffer, qsizetype(n)) : QByteArray();
}

bool set(int fd, const char *key, const QByteArray &value)
{
    return ::fsetxattr(fd, key, value.constData(), size_t(value.size()), 0) == 0;
}

} // namespace Kiln::Target::Xattrs
