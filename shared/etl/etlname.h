#pragma once

#include "shared/core/result.h"

#include <QString>

namespace Kiln::Etl {

// A valid ETL name, checked in one place so kilnd and the console agree. Two rules, either will
// do: seed 000's (starts with a letter; only letters, digits, '_' and '-'; 6 to 20 characters)
// and today's AIS (6 to 32 of a-z, 0-9 and '-', a letter or digit at both ends, as the SDK and
// the ais CLI check it), so names those clients accept work here too.
class EtlName
{
public:
    static constexpr int MinLength = 6;
    static constexpr int MaxLength = 20;
    static constexpr int AisMaxLength = 32;

    static Result<EtlName> parse(const QString &text);
    // Empty when valid; otherwise the rule the text breaks, written for the user.
    static QString brokenRule(const QString &text);
    // AIS's own words (k8s.ValidateEtlName) for a name its server rule refuses, or empty: what
    // the REST API answers where AIS checks a name.
    static QString aisRuleError(const QString &text);

    const QString &toString() const { return m_name; }
    // Kubernetes object names derived from it: lower case, '_' turned into '-'.
    QString k8sName() const;

    bool operator==(const EtlName &) const = default;

private:
    explicit EtlName(QString name)
        : m_name(std::move(name))
    { }
    QString m_name;
};

} // namespace Kiln::Etl
