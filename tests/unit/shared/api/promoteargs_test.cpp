#include "shared/api/promoteargs.h"

#include <gtest/gtest.h>

#include <QJsonDocument>

namespace Kiln::Api {
namespace {

PromoteArgs argsWith(const QString &src, const QString &obj = {})
{
    PromoteArgs a;
    a.source = src;
    a.objectName = obj;
    return a;
}

TEST(PromoteArgsTest, ReadsAisShortKeys)
{
    const auto a = PromoteArgs::fromJson(
        QJsonDocument::fromJson(
            R"({"tid":"t1","src":"/r/x","obj":"p/","rcr":true,"ovw":true,"dls":true,"notshr":true})")
            .object());
    ASSERT_TRUE(a);
    EXPECT_EQ(a->targetId, "t1");
    EXPECT_EQ(a->source, "/r/x");
    EXPECT_EQ(a->objectName, "p/");
    EXPECT_TRUE(a->recursive && a->overwrite && a->deleteSource && a->notFileShare);
    EXPECT_FALSE(PromoteArgs::fromJson(QJsonValue("nope")));
}

TEST(PromoteArgsTest, SourceMustBeAbsoluteCleanAndUnderTheRoot)
{
    EXPECT_TRUE(argsWith("/srv/promote/a/b").validate({}, "/srv/promote"));
    EXPECT_TRUE(argsWith("/srv/promote").validate({}, "/srv/promote/"));
    struct Bad
    {
        const char *src;
        const char *why;
    };
    for (const Bad &b : {Bad{"", "pathname is empty"}, Bad{"rel/x", "must be an absolute path"},
                         Bad{"/srv/promote/../etc", "must not contain"},
                         Bad{"/srv/promote/./x", "must not contain"},
                         Bad{"/srv/promotex/y", "must be under /srv/promote"},
                         Bad{"/etc/passwd", "must be under /srv/promote"}}) {
        auto r = argsWith(b.src).validate({}, "/srv/promote");
        ASSERT_FALSE(r) << b.src;
        EXPECT_TRUE(r.error().message.contains(b.why)) << r.error().message.toStdString();
    }
}

TEST(PromoteArgsTest, ActionNameAndSourceMustAgree)
{
    PromoteArgs a = argsWith({});
    ASSERT_TRUE(a.validate("/r/x", "/r"));
    EXPECT_EQ(a.source, "/r/x");
    EXPECT_TRUE(argsWith("/r/x").validate("/r/y", "/r").error().message.contains("conflicting"));
    EXPECT_FALSE(argsWith("/r/x", "a/../b").validate({}, "/r"));
}

TEST(PromotedObjectNameTest, FollowsAisPrmObjName)
{
    EXPECT_EQ(promotedObjectName("/r/f.txt", {}, {}), "f.txt");
    EXPECT_EQ(promotedObjectName("/r/f.txt", {}, "named"), "named");
    EXPECT_EQ(promotedObjectName("/r/f.txt", {}, "pre/"), "pre/f.txt");
    EXPECT_EQ(promotedObjectName("/r/d/x/y.bin", "/r/d", "p/"), "p/x/y.bin");
    EXPECT_EQ(promotedObjectName("/r/d/y.bin", "/r/d", {}), "y.bin");
}

} // namespace
} // namespace Kiln::Api
