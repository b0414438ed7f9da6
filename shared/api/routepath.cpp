#include "shared/api/routepath.h"

namespace Kiln::Api {

QString routePath(const char *route, std::initializer_list<QString> args)
{
    const QString pattern = QString::fromLatin1(route);
    QString path;
    path.reserve(pattern.size() + 32);
    auto arg = args.begin();
    qsizetype i = 0;
    while (i < pattern.size()) {
        const qsizetype open = pattern.indexOf(u'{', i);
        const qsizetype close = open < 0 ? -1 : pattern.indexOf(u'}', open);
        if (close < 0) {
            path += QStringView(pattern).mid(i);
            break;
        }
        path += QStringView(pattern).mid(i, open - i);
        if (arg != args.end())
            path += *arg++;
        i = close + 1;
    }
    return path;
}

} // namespace Kiln::Api
