#include "service/tls/nodetls.h"
#include "service/tls/selfsignedca.h"

#include <gtest/gtest.h>

#include <QFile>
#include <QFileInfo>
#include <QSslCertificate>
#include <QSslError>
#include <QSslKey>
#include <QTemporaryDir>

namespace Kiln::Tls {
namespace {

TEST(SelfSignedCa, MakesANodeCertificateTheCaVouchesFor)
{
    QTemporaryDir dir;
    auto files = ensureSelfSignedCa(dir.path() + "/tls", {"127.0.0.1", "localhost"});
    ASSERT_TRUE(files) << files.error().message.toStdString();
    const QList<QSslCertificate> ca = QSslCertificate::fromPath(files->ca);
    const QList<QSslCertificate> node = QSslCertificate::fromPath(files->cert);
    ASSERT_EQ(ca.size(), 1);
    ASSERT_EQ(node.size(), 1);
    EXPECT_EQ(node[0].issuerDisplayName(), ca[0].subjectDisplayName());
    // Trusting the CA (as a node does with --tls-ca), the node certificate verifies for the names
    // in its SAN and not for another name.
    ASSERT_TRUE(trustCa(files->ca));
    const QList<QSslError> good = QSslCertificate::verify({node[0]}, "localhost");
    EXPECT_TRUE(good.isEmpty()) << (good.isEmpty() ? "" : good[0].errorString().toStdString());
    const QList<QSslError> other = QSslCertificate::verify({node[0]}, "example.com");
    ASSERT_FALSE(other.isEmpty());
    EXPECT_EQ(other[0].error(), QSslError::HostNameMismatch);
    const auto alt = node[0].subjectAlternativeNames();
    EXPECT_TRUE(alt.values(QSsl::IpAddressEntry).contains("127.0.0.1"));
    EXPECT_TRUE(alt.values(QSsl::DnsEntry).contains("localhost"));
    // The key is for its owner only; the server side loads it.
    EXPECT_EQ(QFileInfo(files->key).permissions() & (QFileDevice::ReadOther | QFileDevice::ReadGroup),
              QFileDevice::Permissions());
    auto server = serverConfiguration(files->cert, files->key);
    ASSERT_TRUE(server) << server.error().message.toStdString();
    EXPECT_FALSE(server->privateKey().isNull());
}

TEST(SelfSignedCa, KeepsWhatItMadeBefore)
{
    QTemporaryDir dir;
    auto first = ensureSelfSignedCa(dir.path(), {"127.0.0.1"});
    ASSERT_TRUE(first);
    QFile ca(first->ca);
    ASSERT_TRUE(ca.open(QIODevice::ReadOnly));
    const QByteArray before = ca.readAll();
    auto second = ensureSelfSignedCa(dir.path(), {"127.0.0.1"});
    ASSERT_TRUE(second);
    QFile again(second->ca);
    ASSERT_TRUE(again.open(QIODevice::ReadOnly));
    EXPECT_EQ(again.readAll(), before);
}

TEST(NodeTls, RefusesMissingOrWrongFiles)
{
    QTemporaryDir dir;
    EXPECT_FALSE(serverConfiguration(dir.path() + "/none.pem", dir.path() + "/none.key"));
    EXPECT_FALSE(trustCa(dir.path() + "/none.pem"));
}

} // namespace
} // namespace Kiln::Tls
