#include "shared/etl/etlname.h"

#include <algorithm>

namespace Kiln::Etl {
namespace {

bool isAsciiLetter(QChar c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool isLowerAlnum(QChar c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// AIS's rule (k8s.ValidateEtlName plus the SDK's check of both ends).
bool followsAisRule(const QString &text)
{
    if (text.size() < EtlName::MinLength || text.size() > EtlName::AisMaxLength)
        return false;
    if (!isLowerAlnum(text.front()) || !isLowerAlnum(text.back()))
        return false;
    return std::all_of(text.begin(), text.end(),
                       [](QChar c) { return isLowerAlnum(c) || c == '-'; });
}

QString seedRuleBroken(const QString &text)
{
    if (!isAsciiLetter(text.front()))
        return QStringLiteral("ETL name \"%1\" must start with a letter (A-Z or a-z)").arg(text);
    for (const QChar c : text) {
        if (!isAsciiLetter(c) && !(c >= '0' && c <= '9') && c != '_' && c != '-')
            return QStringLiteral("ETL name \"%1\" may only contain letters, digits, '_' and '-' "
                                  "(found '%2')")
                .arg(text, QString(c));
    }
    if (text.size() < EtlName::MinLength || text.size() > EtlName::MaxLength)
        return QStringLiteral("ETL name \"%1\" must be %2 to %3 characters long (it has %4)")
            .arg(text)
            .arg(EtlName::MinLength)
            .arg(EtlName::MaxLength)
            .arg(text.size());
    return {};
}

} // namespace

QString EtlName::brokenRule(const QString &text)
{
    if (text.isEmpty())
        return QStringLiteral("ETL name is empty");
    if (followsAisRule(text))
        return {};
    const QString seed = seedRuleBroken(text);
    if (seed.isEmpty())
        return {};
    return seed
        + QStringLiteral(", or follow AIS's rule: %1 to %2 of a-z, 0-9 and '-', with a letter or "
                         "digit at both ends")
              .arg(MinLength)
              .arg(AisMaxLength);
}

QString EtlName::aisRuleError(const QString &text)
{
    const QString prefix = QStringLiteral("ETL name \"%1\" ").arg(text);
    if (text.isEmpty())
        return prefix + QStringLiteral("is empty");
    if (text.size() < MinLength)
        return prefix + QStringLiteral("is too short");
    if (text.size() > AisMaxLength)
        return prefix + QStringLiteral("is too long");
    const bool ok = std::all_of(text.begin(), text.end(),
                                [](QChar c) { return isLowerAlnum(c) || c == '-'; });
    return ok ? QString() : prefix + QStringLiteral("is invalid: can only contain [a-z0-9-]");
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
