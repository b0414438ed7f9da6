#include "shared/api/writeform.h"

#include <gtest/gtest.h>

#include <QUrlQuery>

namespace Kiln::Api {
namespace {

struct FormCase
{
    const char *name;
    const char *query;
    PutForm form;
};

class ClassifyPutTest : public testing::TestWithParam<FormCase>
{ };

TEST_P(ClassifyPutTest, TellsTheFormByTheQueryInAisOrder)
{
    const Result<PutRequest> req = classifyPut(QUrlQuery(QString::fromLatin1(GetParam().query)));
    ASSERT_TRUE(req) << req.error().message.toStdString();
    EXPECT_EQ(req->form, GetParam().form);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, ClassifyPutTest,
    testing::Values(
        FormCase{"plain", "provider=ais", PutForm::Write},
        FormCase{"copy", "object_to=ais/@%23/b/o", PutForm::Copy},
        FormCase{"copyWinsOverAppend", "object_to=ais/@%23/b/o&append_type=append", PutForm::Copy},
        FormCase{"multipart", "uploadId=u&partNumber=2", PutForm::MultipartPart},
        FormCase{"archive", "archpath=a.txt", PutForm::ArchiveAppend},
        FormCase{"append", "append_type=append", PutForm::Append},
        FormCase{"flush", "append_type=flush&append_handle=t|x|xxhash|0", PutForm::Flush},
        FormCase{"emptyObjectToIsAWrite", "object_to=", PutForm::Write}),
    [](const testing::TestParamInfo<FormCase> &info) { return std::string(info.param.name); });

TEST(ClassifyPutTest, KeepsTheCopyDestinationEtlAndHandle)
{
    auto copy = classifyPut(QUrlQuery("object_to=ais/@%23/dst/a%20b.txt&etl_name=md5"));
    ASSERT_TRUE(copy);
    EXPECT_EQ(copy->objectTo, "ais/@#/dst/a b.txt");
    EXPECT_EQ(copy->etlName, "md5");
    auto flush = classifyPut(QUrlQuery("append_type=flush&append_handle=t1%7Ctok%7Cxxhash%7C5"));
    ASSERT_TRUE(flush);
    EXPECT_EQ(flush->appendHandle, "t1|tok|xxhash|5");
}

TEST(ClassifyPutTest, RefusesAnUnknownAppendTypeWithAisWords)
{
    for (const char *q : {"append_type=bogus", "append_type="}) {
        const auto req = classifyPut(QUrlQuery(QString::fromLatin1(q)));
        ASSERT_FALSE(req) << q;
        EXPECT_EQ(req.error().code, ErrorCode::InvalidArgument);
        EXPECT_TRUE(req.error().message.startsWith("invalid operation \""));
        EXPECT_TRUE(req.error().message.endsWith("- check \"append_type\" query"));
    }
}

TEST(ParseObjectUnameTest, SplitsBucketAndObjectWithSlashes)
{
    const auto ref = parseObjectUname("ais/@#/dst/dir/sub/o.txt");
    ASSERT_TRUE(ref);
    EXPECT_EQ(ref->bucket, "dst");
    EXPECT_EQ(ref->object, "dir/sub/o.txt");
    EXPECT_EQ(objectUname(ref->bucket, ref->object), "ais/@#/dst/dir/sub/o.txt");
}

TEST(ParseObjectUnameTest, RefusesOtherProvidersNamespacesAndBadNames)
{
    EXPECT_EQ(parseObjectUname("s3/@#/b/o").error().code, ErrorCode::Unsupported);
    EXPECT_EQ(parseObjectUname("ais/@uuid#ns/b/o").error().code, ErrorCode::Unsupported);
    EXPECT_EQ(parseObjectUname("ais/@#/b").error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(parseObjectUname("ais/@#/b/").error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(parseObjectUname("ais/@#/b/../x").error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(parseObjectUname("ais/@#/bad name/o").error().code, ErrorCode::InvalidArgument);
}

TEST(NotImplementedTest, SpeaksAisErrNotImpl)
{
    const Error e = notImplemented("append to archive", "ais://b/o");
    EXPECT_EQ(e.code, ErrorCode::Unsupported);
    EXPECT_EQ(e.message, "cannot append to archive ais://b/o - not implemented yet");
    EXPECT_EQ(e.tcode, "ErrNotImpl");
}

} // namespace
} // namespace Kiln::Api
