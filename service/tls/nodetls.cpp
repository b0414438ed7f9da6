#include "service/tls/nodetls.h"

#include "shared/core/fileutil.h"

#include <QSslCertificate>
#include <QSslKey>

namespace Kiln::Tls {
namespace {

Error tlsError(const QString &what)
{
    return makeError(ErrorCode::InvalidArgument, QStringLiteral("tls: %1").arg(what));
}

} // namespace

Result<QSslConfiguration> serverConfiguration(const QString &certPath, const QString &keyPath)
{
    const QList<QSslCertificate> chain = QSslCertificate::fromPath(certPath, QSsl::Pem);
    if (chain.isEmpty())
        return tlsError(QStringLiteral("no PEM certificate in %1").arg(certPath));
    auto keyPem = readWholeFile(keyPath);
    if (!keyPem)
        return tlsError(keyPem.error().message);
    QSslKey key(*keyPem, QSsl::Ec, QSsl::Pem);
    if (key.isNull())
        key = QSslKey(*keyPem, QSsl::Rsa, QSsl::Pem);
    if (key.isNull())
        return tlsError(QStringLiteral("no EC or RSA private key (PEM) in %1").arg(keyPath));
    QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
    conf.setLocalCertificateChain(chain);
    conf.setPrivateKey(key);
    conf.setPeerVerifyMode(QSslSocket::VerifyNone); // clients show tokens, not certificates
    return conf;
}

Result<void> trustCa(const QString &caPath)
{
    const QList<QSslCertificate> cas = QSslCertificate::fromPath(caPath, QSsl::Pem);
    if (cas.isEmpty())
        return tlsError(QStringLiteral("no PEM certificate in %1").arg(caPath));
    QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
    conf.addCaCertificates(cas);
    QSslConfiguration::setDefaultConfiguration(conf);
    return {};
}

} // namespace Kiln::Tls
