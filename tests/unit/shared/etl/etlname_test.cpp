#include "shared/etl/etlname.h"

#include <gtest/gtest.h>

#include <QString>

namespace Kiln::Etl {
namespace {

struct NameCase
{
    const char *label;
    QString name;
    bool valid;
    const char *ruleWords; // words the broken rule's message must contain
};

class EtlNameRuleTest : public testing::TestWithParam<NameCase>
{ };

TEST_P(EtlNameRuleTest, FollowsSeedOrAisRule)
{
    const NameCase &c = GetParam();
    const Result<EtlName> parsed = EtlName::parse(c.name);
    EXPECT_EQ(bool(parsed), c.valid) << c.name.toStdString();
    const QString rule = EtlName::brokenRule(c.name);
    EXPECT_EQ(rule.isEmpty(), c.valid);
    if (!c.valid) {
        EXPECT_EQ(parsed.error().code, ErrorCode::InvalidArgument);
        EXPECT_TRUE(rule.contains(QString::fromLatin1(c.ruleWords))) << rule.toStdString();
        EXPECT_EQ(parsed.error().message, rule);
    } else {
        EXPECT_EQ(parsed->toString(), c.name);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Table, EtlNameRuleTest,
    testing::Values(
        NameCase{"six_chars", "abcdef", true, ""},
        NameCase{"twenty_chars", "a1234567890123456789", true, ""},
        NameCase{"underscore_and_dash", "my_etl-md5", true, ""},
        NameCase{"upper_case", "TransformerMD5", true, ""},
        NameCase{"five_chars", "abcde", false, "6 to 20"},
        NameCase{"twenty_one_chars", "A12345678901234567890", false, "6 to 20"},
        NameCase{"leading_digit", "1Abcdef", false, "start with a letter"},
        NameCase{"ais_rule_leading_digit", "1abcdef", true, ""},
        NameCase{"ais_rule_thirty_two_chars", "abcdefghij-abcdefghij-0123456789", true, ""},
        NameCase{"thirty_three_chars", "abcdefghij-abcdefghij-0123456789x", false, "6 to 32"},
        NameCase{"ais_rule_trailing_dash", "1abcde-", false, "both ends"},
        NameCase{"leading_dash", "-abcdef", false, "start with a letter"},
        NameCase{"leading_underscore", "_abcdef", false, "start with a letter"},
        NameCase{"dot", "abc.def", false, "only contain"},
        NameCase{"space", "abc def", false, "only contain"},
        NameCase{"slash", "abc/def", false, "only contain"},
        NameCase{"non_ascii_letter", QStringLiteral("abcdéf"), false, "only contain"},
        NameCase{"empty", "", false, "empty"}),
    [](const testing::TestParamInfo<NameCase> &info) { return std::string(info.param.label); });

TEST(EtlNameTest, DerivesKubernetesNameInLowerCaseWithDashes)
{
    const auto name = EtlName::parse("My_ETL-Md5");
    ASSERT_TRUE(name);
    EXPECT_EQ(name->k8sName(), QStringLiteral("my-etl-md5"));
}

TEST(EtlNameTest, ReportsLengthRuleWithActualLength)
{
    EXPECT_TRUE(EtlName::brokenRule("abc").contains("it has 3"));
}

} // namespace
} // namespace Kiln::Etl
