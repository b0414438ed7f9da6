#include "service/auth/accessguard.h"
#include "service/auth/clustersecret.h"
#include "service/auth/jwt.h"
#include "service/http/exchange.h"
#include "service/http/httpserver.h"
#include "tests/unit/service/http/loopbackserver.h"
#include "tests/unit/service/http/rawhttpclient.h"

#include <gtest/gtest.h>

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

namespace Kiln::Auth {
namespace {

using Http::Tests::LoopbackServer;
using Http::Tests::RawHttpClient;
using Http::Tests::RawResponse;

const QByteArray Secret = "guard-test-secret";
const QString ClusterUuid = "clu-test";

QByteArray tokenFor(AccessAttrs clusterAccess, bool admin = false, qint64 expiresIn = 600)
{
    Claims c;
    c.subject = admin ? "admin" : "reader";
    c.admin = admin;
    c.expiresAt = QDateTime::currentSecsSinceEpoch() + expiresIn;
    c.clusters = {ClusterAcl{ClusterUuid, {}, {}, clusterAccess}};
    return Jwt::signHs256(c.toJson(), Secret);
}

// A real server with an object route and an ETL route behind the guard; handlers count calls.
class AccessGuardTest : public testing::Test
{
protected:
    void SetUp() override
    {
        Http::Router &r = m_server.router();
        r.add({"GET", "PUT"}, "/v1/objects/{bucket}/{*object}", [this](Http::Exchange ex) {
            ++m_calls;
            ex.respond(200, "object");
        });
        r.add({"PUT"}, "/v1/etl", [this](Http::Exchange ex) {
            ++m_calls;
            ex.respond(200, "etl");
        });
        m_guard.install(r);
        m_guard.registerRoutes(r);
        auto port = m_server.listen(QHostAddress::LocalHost, 0);
        ASSERT_TRUE(port);
        m_port = *port;
    }

    RawResponse call(const QByteArray &method, const QByteArray &target,
                     const QByteArray &token = {}, const QByteArray &body = {})
    {
        QByteArray request = method + ' ' + target + " HTTP/1.1\r\nHost: x\r\n";
        if (!token.isEmpty())
            request += "Authorization: Bearer " + token + "\r\n";
        request += "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
        auto answer = LoopbackServer::runClient([port = m_port, request] {
            RawHttpClient client(port);
            client.send(request);
            return client.readResponse();
        });
        EXPECT_TRUE(answer);
        return answer.value_or(RawResponse{});
    }

    static QString messageOf(const RawResponse &r)
    {
        return QJsonDocument::fromJson(r.body).object().value("message").toString();
    }

    Http::HttpServer m_server;
    AccessGuard m_guard{std::make_shared<TokenVerifier>(Secret), RoutePolicy::standard(),
                        [] { return ClusterUuid; }};
    quint16 m_port = 0;
    int m_calls = 0;
};

TEST_F(AccessGuardTest, NoTokenIs401WithAnAisErrorBody)
{
    const RawResponse r = call("GET", "/v1/objects/b/o");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(messageOf(r), "token required");
    EXPECT_EQ(QJsonDocument::fromJson(r.body).object().value("status").toInt(), 401);
    EXPECT_EQ(m_calls, 0);
}

TEST_F(AccessGuardTest, ReadOnlyUserReadsButCannotWrite)
{
    const QByteArray ro = tokenFor(Access::RO);
    EXPECT_EQ(call("GET", "/v1/objects/b/o", ro).status, 200);
    EXPECT_EQ(m_calls, 1);
    const RawResponse put = call("PUT", "/v1/objects/b/o", ro, "data");
    EXPECT_EQ(put.status, 403);
    EXPECT_TRUE(messageOf(put).contains("insufficient permissions"));
    const RawResponse etl = call("PUT", "/v1/etl", ro, "{}");
    EXPECT_EQ(etl.status, 403);
    EXPECT_EQ(m_calls, 1); // neither handler ran
}

TEST_F(AccessGuardTest, AdminInitsAnEtl)
{
    EXPECT_EQ(call("PUT", "/v1/etl", tokenFor(0, true), "{}").status, 200);
    EXPECT_EQ(m_calls, 1);
}

TEST_F(AccessGuardTest, ExpiredAndForgedTokensAre401)
{
    EXPECT_EQ(call("GET", "/v1/objects/b/o", tokenFor(Access::RO, false, -5)).status, 401);
    QByteArray forged = tokenFor(Access::RO);
    forged.chop(2);
    forged += "AA";
    EXPECT_EQ(call("GET", "/v1/objects/b/o", forged).status, 401);
    EXPECT_EQ(m_calls, 0);
}

TEST_F(AccessGuardTest, ARevokedTokenIs401)
{
    const QByteArray ro = tokenFor(Access::RO);
    const QByteArray admin = tokenFor(0, true);
    const QByteArray body = QJsonDocument(QJsonObject{{"token", QString::fromUtf8(ro)}}).toJson();
    EXPECT_EQ(call("DELETE", "/v1/tokens", ro, body).status, 403); // revoking needs admin
    EXPECT_EQ(call("DELETE", "/v1/tokens", admin, body).status, 200);
    const RawResponse r = call("GET", "/v1/objects/b/o", ro);
    EXPECT_EQ(r.status, 401);
    EXPECT_TRUE(messageOf(r).contains("revoked"));
}

TEST_F(AccessGuardTest, ASignedRedirectStandsForTheToken)
{
    ClusterSecret::install(Secret);
    const QByteArray utm = QByteArray::number(QDateTime::currentMSecsSinceEpoch() * 1000000, 36);
    const QByteArray path = "/v1/objects/b/o";
    const QByteArray signedPart = path + "?provider=ais&pid=p1&utm=" + utm;
    const QByteArray sig = ClusterSecret::signRedirect("GET", signedPart);
    EXPECT_EQ(call("GET", signedPart + "&u=" + sig).status, 200);
    // The signature binds method, path and every parameter: not good for a PUT, nor for another
    // object, nor with a parameter added, changed or appended after it.
    EXPECT_EQ(call("PUT", signedPart + "&u=" + sig, {}, "x").status, 401);
    const QByteArray other = "/v1/objects/b/other?provider=ais&pid=p1&utm=" + utm;
    EXPECT_EQ(call("GET", other + "&u=" + sig).status, 401);
    EXPECT_EQ(call("GET", path + "?provider=ais&object_to=c&pid=p1&utm=" + utm + "&u=" + sig)
                  .status,
              401);
    EXPECT_EQ(call("GET", path + "?provider=gcp&pid=p1&utm=" + utm + "&u=" + sig).status, 401);
    EXPECT_EQ(call("GET", signedPart + "&u=" + sig + "&object_to=c").status, 401);
    EXPECT_EQ(m_calls, 1);
    ClusterSecret::install({});
}

TEST_F(AccessGuardTest, ARedirectOlderThanItsAgeIsRefused)
{
    ClusterSecret::install(Secret);
    const qint64 old = QDateTime::currentMSecsSinceEpoch() * 1000000
        - ClusterSecret::MaxRedirectAgeNs - 1000000000;
    const QByteArray signedPart
        = "/v1/objects/b/o?provider=ais&utm=" + QByteArray::number(old, 36) + "&pid=p1";
    const RawResponse r
        = call("GET", signedPart + "&u=" + ClusterSecret::signRedirect("GET", signedPart));
    EXPECT_EQ(r.status, 401);
    EXPECT_TRUE(messageOf(r).contains("expired"));
    EXPECT_EQ(m_calls, 0);
    ClusterSecret::install({});
}

TEST_F(AccessGuardTest, AnObjectNameWithWhatLooksLikeASignatureTakesTheToken)
{
    ClusterSecret::install(Secret);
    const QByteArray ro = tokenFor(Access::RO);
    // "&u=" in the path is part of the name, not a redirect's signature.
    EXPECT_EQ(call("GET", "/v1/objects/b/a&u=b?provider=ais", ro).status, 200);
    EXPECT_EQ(call("GET", "/v1/objects/b/a&u=b?provider=ais").status, 401);
    EXPECT_EQ(m_calls, 1);
    ClusterSecret::install({});
}

} // namespace
} // namespace Kiln::Auth
