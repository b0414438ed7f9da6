#include "service/http/request.h"

#include <QUrl>

namespace Kiln::Http {

QByteArray Request::header(const QByteArray &lowerName) const
{
    for (const auto &[name, value] : headers) {
        if (name == lowerName)
            return value;
    }
    return {};
}

QString Request::queryValue(const QString &name) const
{
    return query.queryItemValue(name, QUrl::FullyDecoded);
}

bool Request::queryFlag(const QString &name) const
{
    const QString v = queryValue(name).toLower();
    return v == "true" || v == "1" || v == "yes" || v == "y";
}

QString Request::path() const
{
    return QUrl::fromPercentEncoding(rawPath);
}

} // namespace Kiln::Http
