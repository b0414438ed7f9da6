#include "fakeapiserver.h"
#include "service/kube/kubeconfig.h"

#include <gtest/gtest.h>

#include <QFile>
#include <QSslKey>
#include <QTemporaryDir>

namespace Kiln::Kube {
namespace {

using Test::FakeApiServer;

class KubeConfigTest : public testing::Test
{
protected:
    void SetUp() override { ASSERT_TRUE(m_dir.isValid()); }

    QString write(const QString &name, const QByteArray &text)
    {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        EXPECT_TRUE(f.open(QIODevice::WriteOnly));
        f.write(text);
        return path;
    }

    QTemporaryDir m_dir;
};

TEST_F(KubeConfigTest, ReadsTheCurrentContextWithInlineCertificates)
{
    const QByteArray ca = FakeApiServer::fixture("ca.crt").toBase64();
    const QByteArray cert = FakeApiServer::fixture("client.crt").toBase64();
    const QByteArray key = FakeApiServer::fixture("client.key").toBase64();
    const QString path = write("config",
                               R"(apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: other
  cluster: {server: "https://10.9.9.9:6443"}
- name: main
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: )" + ca
                                   + R"(
contexts:
- name: dev
  context: {cluster: other, user: nobody}
- name: prod
  context: {cluster: main, user: admin, namespace: kiln}
users:
- name: admin
  user:
    client-certificate-data: )" + cert
                                   + R"(
    client-key-data: )" + key + "\n");
    const Result<KubeConfig> config = KubeConfig::fromKubeconfig(path);
    ASSERT_TRUE(config) << config.error().message.toStdString();
    EXPECT_EQ(config->server.toString(), "https://127.0.0.1:6443");
    EXPECT_EQ(config->nameSpace, "kiln");
    EXPECT_EQ(config->caPem, FakeApiServer::fixture("ca.crt"));
    EXPECT_EQ(config->clientCertPem, FakeApiServer::fixture("client.crt"));
    EXPECT_TRUE(config->token.isEmpty());

    const auto ssl = config->sslConfiguration();
    ASSERT_TRUE(ssl) << ssl.error().message.toStdString();
    EXPECT_EQ(ssl->peerVerifyMode(), QSslSocket::VerifyPeer);
    ASSERT_EQ(ssl->caCertificates().size(), 1);
    EXPECT_EQ(ssl->caCertificates().first().subjectInfo(QSslCertificate::CommonName).value(0),
              "kiln-test-ca");
    EXPECT_FALSE(ssl->privateKey().isNull());
    EXPECT_FALSE(ssl->localCertificate().isNull());
}

TEST_F(KubeConfigTest, ReadsTokenAndCaFileRelativeToTheKubeconfig)
{
    write("ca.crt", FakeApiServer::fixture("ca.crt"));
    const QString path = write("config", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443", certificate-authority: ca.crt}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {token: abc.def}}]
)");
    const Result<KubeConfig> config = KubeConfig::fromKubeconfig(path);
    ASSERT_TRUE(config) << config.error().message.toStdString();
    EXPECT_EQ(config->token, "abc.def");
    EXPECT_EQ(config->nameSpace, "default");
    EXPECT_EQ(config->caPem, FakeApiServer::fixture("ca.crt"));
}

TEST_F(KubeConfigTest, NamesWhatIsMissing)
{
    const QString noContext = write("a", "clusters: []\n");
    const auto a = KubeConfig::fromKubeconfig(noContext);
    ASSERT_FALSE(a);
    EXPECT_TRUE(a.error().message.contains("current-context"));

    const QString badCluster = write("b", R"(current-context: c
contexts: [{name: c, context: {cluster: gone, user: u}}]
)");
    const auto b = KubeConfig::fromKubeconfig(badCluster);
    ASSERT_FALSE(b);
    EXPECT_TRUE(b.error().message.contains("cluster \"gone\" is not defined"))
        << b.error().message.toStdString();

    const QString keyOnly = write("c",
                                  R"(current-context: c
clusters: [{name: k, cluster: {server: "https://h:1"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {client-key-data: )"
                                      + FakeApiServer::fixture("client.key").toBase64() + "}}]\n");
    const auto c = KubeConfig::fromKubeconfig(keyOnly);
    ASSERT_FALSE(c);
    EXPECT_TRUE(c.error().message.contains("without"));

    const auto missing = KubeConfig::fromKubeconfig(m_dir.filePath("nope"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::InvalidArgument);
}

TEST_F(KubeConfigTest, InClusterReadsTheServiceAccountFiles)
{
    write("token", "eyJhbGciOi.token\n");
    write("ca.crt", FakeApiServer::fixture("ca.crt"));
    write("namespace", "ais\n");
    qputenv("KUBERNETES_SERVICE_HOST", "10.96.0.1");
    qputenv("KUBERNETES_SERVICE_PORT", "443");
    qunsetenv("K8S_NS");
    EXPECT_TRUE(KubeConfig::inClusterAvailable(m_dir.path()));
    const Result<KubeConfig> config = KubeConfig::inCluster(m_dir.path());
    qunsetenv("KUBERNETES_SERVICE_HOST");
    qunsetenv("KUBERNETES_SERVICE_PORT");
    ASSERT_TRUE(config) << config.error().message.toStdString();
    EXPECT_EQ(config->server.toString(), "https://10.96.0.1:443");
    EXPECT_EQ(config->token, "eyJhbGciOi.token");
    EXPECT_EQ(config->nameSpace, "ais");
    EXPECT_FALSE(KubeConfig::inClusterAvailable(m_dir.path()));
}

TEST_F(KubeConfigTest, RejectsACaThatIsNotPem)
{
    KubeConfig config;
    config.caPem = "not a certificate";
    EXPECT_FALSE(config.sslConfiguration());
}

} // namespace
} // namespace Kiln::Kube
