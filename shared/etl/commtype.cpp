#include "shared/etl/commtype.h"

namespace Kiln::Etl {

Result<CommType> parseCommType(const QString &text)
{
    QString t = text.trimmed().toLower();
    if (t.endsWith("://"))
        t.chop(3);
    if (t.isEmpty() || t == "hpush")
        return CommType::Hpush;
    if (t == "hpull")
        return CommType::Hpull;
    if (t == "hrev")
        return CommType::Hrev;
    if (t == "io")
        return CommType::Io;
    if (t == "ws")
        return CommType::Ws;
    return makeError(
        ErrorCode::InvalidArgument,
        QStringLiteral("unknown comm-type \"%1\" (use hpush://, hpull://, hrev://, io:// "
                       "or ws://)")
            .arg(text));
}

QString commTypeName(CommType type)
{
    switch (type) {
    case CommType::Hpush:
        return QStringLiteral("hpush://");
    case CommType::Hpull:
        return QStringLiteral("hpull://");
    case CommType::Hrev:
        return QStringLiteral("hrev://");
    case CommType::Io:
        return QStringLiteral("io://");
    case CommType::Ws:
        return QStringLiteral("ws://");
    }
    return {};
}

Result<ArgType> parseArgType(const QString &text)
{
    const QString t = text.trimmed().toLower();
    if (t.isEmpty())
        return ArgType::Bytes;
    if (t == "url")
        return ArgType::Url;
    if (t == "fqn")
        return ArgType::Fqn;
    return makeError(
        ErrorCode::InvalidArgument,
        QStringLiteral("unknown argument type \"%1\" (use \"\", \"url\" or \"fqn\")").arg(text));
}

QString argTypeName(ArgType type)
{
    switch (type) {
    case ArgType::Bytes:
        return {};
    case ArgType::Url:
        return QStringLiteral("url");
    case ArgType::Fqn:
        return QStringLiteral("fqn");
    }
    return {};
}

} // namespace Kiln::Etl
