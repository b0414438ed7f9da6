#include "service/target/xattrs.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <cerrno>
#include <sys/xattr.h>

namespace Kiln::Target::Xattrs {

QByteArray get(const QByteArray &path, const char *key)
{
    char buffer[256];
    const ssize_t n = ::getxattr(path.constData(), key, buffer, sizeof buffer);
    if (n > 0)
        return QByteArray(buffer, qsizetype(n));
    if (n < 0 && errno == ERANGE) {
        // Larger values (custom metadata, up to AIS's 2 KiB of keys and values): ask the size.
        const ssize_t size = ::getxattr(path.constData(), key, nullptr, 0);
        if (size <= 0)
            return {};
        QByteArray value(qsizetype(size), Qt::Uninitialized);
        const ssize_t m = ::getxattr(path.constData(), key, value.data(), size_t(size));
        if (m < 0)
            return {};
        value.truncate(qsizetype(m));
        return value;
    }
    return {};
}

bool set(int fd, const char *key, const QByteArray &value)
{
    return ::fsetxattr(fd, key, value.constData(), size_t(value.size()), 0) == 0;
}

bool set(const QByteArray &path, const char *key, const QByteArray &value)
{
    return ::setxattr(path.constData(), key, value.constData(), size_t(value.size()), 0) == 0;
}

bool remove(int fd, const char *key)
{
    return ::fremovexattr(fd, key) == 0 || errno == ENODATA;
}

bool remove(const QByteArray &path, const char *key)
{
    return ::removexattr(path.constData(), key) == 0 || errno == ENODATA;
}

QByteArray encodeCustom(const CustomMd &custom)
{
    QJsonObject json;
    for (auto it = custom.constBegin(); it != custom.constEnd(); ++it)
        json.insert(it.key(), it.value());
    return QJsonDocument(json).toJson(QJsonDocument::Compact);
}

CustomMd decodeCustom(const QByteArray &stored)
{
    CustomMd custom;
    if (stored.isEmpty())
        return custom;
    const QJsonObject json = QJsonDocument::fromJson(stored).object();
    for (auto it = json.constBegin(); it != json.constEnd(); ++it)
        custom.insert(it.key(), it.value().toString());
    return custom;
}

} // namespace Kiln::Target::Xattrs
