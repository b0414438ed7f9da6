#include "shared/api/apierror.h"

#include <gtest/gtest.h>

#include <QJsonDocument>
#include <QJsonObject>

using namespace Kiln;
using namespace Kiln::Api;

namespace {

// An AIS error body (cmn.ErrHTTP) as a proxy answers it.
QByteArray aisBody(const QString &message, int status, const QString &tcode = {})
{
    QJsonObject body{{"message", message},
                     {"method", "PUT"},
                     {"url_path", "/v1/etl"},
                     {"node", "p[abc]"},
                     {"status", status}};
    if (!tcode.isEmpty())
        body.insert("tcode", tcode);
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

struct Case
{
    const char *name;
    int status;
    QString message;
    QString tcode; // in the body
    QByteArray method;
    ErrorKind kind;
    ErrorCode code;
};

class ApiErrorTest : public testing::TestWithParam<Case>
{ };

TEST_P(ApiErrorTest, ClassifiesFromStatusAndBody)
{
    const Case &c = GetParam();
    const Error e = classifyHttpError(c.status, aisBody(c.message, c.status, c.tcode), c.method);
    EXPECT_EQ(e.message, c.message);
    EXPECT_EQ(e.code, c.code);
    EXPECT_EQ(errorKind(e), c.kind);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ApiErrorTest,
    testing::Values(
        Case{"EtlExists", 409, "p[abc]: etl job echo-etl already exists", {}, "PUT",
             ErrorKind::EtlAlreadyExists, ErrorCode::AlreadyExists},
        Case{"StoppedDuringInit", 409, "etl job echo-etl was stopped or deleted during its init",
             {}, "PUT", ErrorKind::Conflict, ErrorCode::Conflict},
        Case{"GetConflict", 409, "object is busy", {}, "GET", ErrorKind::Conflict,
             ErrorCode::Conflict},
        Case{"BadName", 400, "ETL name \"9x\" must start with a letter (A-Z or a-z)", {}, "PUT",
             ErrorKind::InvalidEtlName, ErrorCode::InvalidArgument},
        Case{"SpecLine", 400, "spec.containers (line 7): missing image", {}, "PUT",
             ErrorKind::BadRequest, ErrorCode::InvalidArgument},
        Case{"EtlMissing", 404, "p[abc]: etl job nope does not exist", "ErrNotFound", "GET",
             ErrorKind::EtlNotFound, ErrorCode::NotFound},
        Case{"BucketMissing", 404, "bucket \"ais://b\" does not exist", "ErrBckNotFound", "GET",
             ErrorKind::NotFound, ErrorCode::NotFound},
        Case{"Unavailable", 503, "no targets in the cluster to run the ETL", {}, "PUT",
             ErrorKind::Unavailable, ErrorCode::Unavailable},
        Case{"ServerFailure", 500, "disk full", {}, "PUT", ErrorKind::ServerFailure,
             ErrorCode::Internal},
        // AIS answers auth refusals without a tcode; the client names them.
        Case{"NoToken", 401, "token required", {}, "GET", ErrorKind::Unauthorized,
             ErrorCode::InvalidArgument},
        Case{"NotPermitted", 403,
             "user `bob` has insufficient permissions: ADMIN needed, granted GET", {}, "GET",
             ErrorKind::Forbidden, ErrorCode::InvalidArgument},
        Case{"LoginRefused", 401, "invalid credentials", {}, "POST", ErrorKind::Unauthorized,
             ErrorCode::InvalidArgument}),
    [](const testing::TestParamInfo<Case> &info) { return std::string(info.param.name); });

TEST(ApiError, KeepsTheTcodeTheServerSent)
{
    const Error e = classifyHttpError(404, aisBody("bucket missing", 404, "ErrBckNotFound"), "GET");
    EXPECT_EQ(e.tcode, QString::fromLatin1(TCode::BucketNotFound));
}

TEST(ApiError, APlainTextBodyIsTheMessage)
{
    const Error e = classifyHttpError(502, "  upstream went away \n", "GET");
    EXPECT_EQ(e.message, QStringLiteral("upstream went away"));
    EXPECT_EQ(errorKind(e), ErrorKind::ServerFailure);
    EXPECT_EQ(classifyHttpError(500, {}, "GET").message, QStringLiteral("HTTP status 500"));
}

TEST(ApiError, CodeForStatusFallsBackByStatusClass)
{
    EXPECT_EQ(codeForStatus(413), ErrorCode::TooLarge);
    EXPECT_EQ(codeForStatus(403), ErrorCode::InvalidArgument);
    EXPECT_EQ(codeForStatus(416), ErrorCode::InvalidArgument);
    EXPECT_EQ(codeForStatus(502), ErrorCode::Internal);
    EXPECT_EQ(codeForStatus(599), ErrorCode::Internal);
}

} // namespace
