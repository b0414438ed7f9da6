#include "shared/etl/etlname.h"

namespace Kiln::Etl {
namespace {

bool isAsciiLetter(QChar c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

} // namespace

QString EtlName::brokenRule(const QString &text)
{
    if (text.isEmpty())
        return QStringLiteral("ETL name is empty");
    if (!isAsciiLetter(text.front()))
        return QStringLiteral("ETL name \"%1\" must start with a letter (A-Z or a-z)").arg(text);
    for (const QChar c : text) {
        if (!isAsciiLetter(c) && !(c >= '0' && c <= '9') && c != '_' && c != '-')
            return QStringLiteral("ETL name \"%1\" may only contain letters, digits, '_' and '-' "
                                  "(found '%2')")
                .arg(text, QString(c));
    }
    if (text.size() < MinLength || text.size() > MaxLength)
        return QStringLiteral("ETL name \"%1\" must be %2 to %3 characters long (it has %4)")
            .arg(text)
            .arg(MinLength)
            .arg(MaxLength)
            .arg(text.size());
    return {};
}

Result<EtlName> EtlName::parse(const QString &text)
{
    if (const QString rule = brokenRule(text); !rule.isEmpty())
        return makeError(ErrorCode::InvalidArgument, rule);
    return EtlName(text);
}

QString EtlName::k8sName() const
{
    QString name = m_name.toLower();
    name.replace('_', '-');
    return name;
}

} // namespace Kiln::Etl
