#include "service/http/errors.h"
#include "service/http/request.h"
#include "shared/api/apierror.h"

#include <gtest/gtest.h>

#include <QJsonDocument>
#include <QJsonObject>

#include <string>

namespace Kiln::Http {
namespace {

struct StatusCase
{
    std::string label;
    ErrorCode code;
    int status;
};

class StatusForTest : public testing::TestWithParam<StatusCase>
{ };

TEST_P(StatusForTest, MapsTheCodeToItsHttpStatus)
{
    EXPECT_EQ(statusFor(GetParam().code), GetParam().status);
}

INSTANTIATE_TEST_SUITE_P(
    Codes, StatusForTest,
    testing::Values(StatusCase{"InvalidArgument", ErrorCode::InvalidArgument, 400},
                    StatusCase{"NotFound", ErrorCode::NotFound, 404},
                    StatusCase{"AlreadyExists", ErrorCode::AlreadyExists, 409},
                    StatusCase{"Conflict", ErrorCode::Conflict, 409},
                    StatusCase{"TooLarge", ErrorCode::TooLarge, 413},
                    StatusCase{"Unsupported", ErrorCode::Unsupported, 501},
                    StatusCase{"Unavailable", ErrorCode::Unavailable, 503},
                    StatusCase{"Timeout", ErrorCode::Timeout, 504},
                    StatusCase{"Aborted", ErrorCode::Aborted, 499},
                    StatusCase{"Internal", ErrorCode::Internal, 500},
                    StatusCase{"EtlTimeout", ErrorCode::EtlTimeout, 400},
                    StatusCase{"EtlNoAnswer", ErrorCode::EtlNoAnswer, 400},
                    StatusCase{"EtlStatusWithoutItsStatus", ErrorCode::EtlStatus, 500}),
    [](const testing::TestParamInfo<StatusCase> &info) { return info.param.label; });

Request sampleRequest()
{
    Request r;
    r.method = "PUT";
    r.target = "/v1/objects/b/a%20b?provider=ais";
    r.rawPath = "/v1/objects/b/a%20b";
    r.headers = {{"user-agent", "aisloader/1.0"}};
    r.peer = QHostAddress("127.0.0.1");
    r.peerPort = 40000;
    return r;
}

TEST(ErrorsTest, AisErrorBodyDescribesTheFailedRequest)
{
    const Error error{ErrorCode::NotFound, "ais://b does not exist", "ErrBckNotFound"};
    const QJsonObject body
        = QJsonDocument::fromJson(aisErrorBody(error, 404, sampleRequest(), "t[abc]")).object();
    EXPECT_EQ(body.value("message").toString(), "ais://b does not exist");
    EXPECT_EQ(body.value("status").toInt(), 404);
    EXPECT_EQ(body.value("method").toString(), "PUT");
    EXPECT_EQ(body.value("url_path").toString(), "/v1/objects/b/a b");
    EXPECT_EQ(body.value("remote_addr").toString(), "127.0.0.1:40000");
    EXPECT_EQ(body.value("caller").toString(), "aisloader/1.0");
    EXPECT_EQ(body.value("node").toString(), "t[abc]");
    EXPECT_EQ(body.value("tcode").toString(), "ErrBckNotFound");
}

TEST(ErrorsTest, AisErrorBodyOmitsAnEmptyTcode)
{
    const QJsonObject body
        = QJsonDocument::fromJson(
              aisErrorBody(Error{ErrorCode::Internal, "boom", {}}, 500, sampleRequest(), "p[x]"))
              .object();
    EXPECT_FALSE(body.contains("tcode"));
    EXPECT_EQ(body.value("status").toInt(), 500);
}

TEST(ErrorsTest, AisErrorBodyIsOneLineOfJson)
{
    // It also travels in the Hdr-Error header of HEAD answers, where a newline would end it.
    const QByteArray body = aisErrorBody(Error{ErrorCode::NotFound, "line one\nline two\r\n", {}},
                                         404, sampleRequest(), "t[x]");
    EXPECT_FALSE(body.contains('\n'));
    EXPECT_FALSE(body.contains('\r'));
    EXPECT_EQ(QJsonDocument::fromJson(body).object().value("message").toString(),
              "line one\nline two\r\n");
}

TEST(ErrorsTest, ReasonPhrasesFollowTheRfc)
{
    EXPECT_STREQ(reasonPhrase(200), "OK");
    EXPECT_STREQ(reasonPhrase(404), "Not Found");
    EXPECT_STREQ(reasonPhrase(405), "Method Not Allowed");
    EXPECT_STREQ(reasonPhrase(431), "Request Header Fields Too Large");
    EXPECT_STREQ(reasonPhrase(503), "Service Unavailable");
}

TEST(ErrorsTest, AnEtlServersOwnStatusIsPassedOn)
{
    EXPECT_EQ(statusFor(makeEtlStatusError(422, "ETL error: no")), 422);
    EXPECT_EQ(statusFor(makeEtlStatusError(404, "ETL error: gone")), 404);
    EXPECT_EQ(statusFor(Error{ErrorCode::EtlTimeout, "late", {}}), 400);
    // Only an error status is passed on; anything else is an ETL failure without one.
    EXPECT_EQ(statusFor(makeEtlStatusError(200, "ETL error: odd")), 500);
}

// A node reads another node's answer back with the shared table (Api::codeForStatus): every code
// with a status of its own comes back as itself.
TEST(Errors, CodeForStatusIsTheWayBack)
{
    for (ErrorCode code : {ErrorCode::InvalidArgument, ErrorCode::NotFound, ErrorCode::Conflict,
                           ErrorCode::TooLarge, ErrorCode::Unsupported, ErrorCode::Unavailable,
                           ErrorCode::Timeout, ErrorCode::Internal})
        EXPECT_EQ(Api::codeForStatus(statusFor(code)), code) << statusFor(code);
    EXPECT_EQ(Api::codeForStatus(statusFor(ErrorCode::AlreadyExists)), ErrorCode::Conflict);
}

} // namespace
} // namespace Kiln::Http
