#include "service/tls/nodetls.h"

#include "shared/core/fileutil.h"

#include <QSslCertificate>
#include <QSslKey>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace Kiln::Tls {
namespace {

Error tlsError(const QString &what)
{
    return makeError(ErrorCode::InvalidArgument, QStringLiteral("tls: %1").arg(what));
}

// Whether the private key (PEM) belongs to the certificate (the first PEM one): a renewed pair
// written one file at a time, or a wrong file, must not be served.
bool keyMatches(const QByteArray &certPem, const QByteArray &keyPem)
{
    std::unique_ptr<BIO, decltype(&BIO_free)> certBio(
        BIO_new_mem_buf(certPem.constData(), int(certPem.size())), BIO_free);
    std::unique_ptr<BIO, decltype(&BIO_free)> keyBio(
        BIO_new_mem_buf(keyPem.constData(), int(keyPem.size())), BIO_free);
    if (!certBio || !keyBio)
        return false;
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr), X509_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
    return cert && key && X509_check_private_key(cert.get(), key.get()) == 1;
}

} // namespace

Result<QSslConfiguration> serverConfiguration(const QString &certPath, const QString &keyPath,
                                              const QString &clientCaPath)
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
    auto certPem = readWholeFile(certPath);
    if (!certPem || !keyMatches(*certPem, *keyPem))
        return tlsError(QStringLiteral("the key in %1 is not the key of the certificate in %2")
                            .arg(keyPath, certPath));
    QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
    conf.setLocalCertificateChain(chain);
    conf.setPrivateKey(key);
    conf.setPeerVerifyMode(QSslSocket::VerifyNone); // clients show tokens, not certificates
    if (!clientCaPath.isEmpty()) {
        const QList<QSslCertificate> cas = QSslCertificate::fromPath(clientCaPath, QSsl::Pem);
        if (cas.isEmpty())
            return tlsError(QStringLiteral("no PEM certificate in %1").arg(clientCaPath));
        conf.setCaCertificates(cas);
        conf.setPeerVerifyMode(QSslSocket::VerifyPeer);
        // A client without a certificate gets TLS's "certificate required" alert, which it can
        // report (Go: "remote error: tls: certificate required"), not a bare close after the
        // handshake (the ais CLI printed "EOF").
        conf.setMissingCertificateIsFatal(true);
    }
    return conf;
}

Result<void> presentClientCertificate(const QString &certPath, const QString &keyPath)
{
    auto own = serverConfiguration(certPath, keyPath);
    if (!own)
        return own.error();
    presentOnCalls(*own);
    return {};
}

void presentOnCalls(const QSslConfiguration &own)
{
    QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
    conf.setLocalCertificateChain(own.localCertificateChain());
    conf.setPrivateKey(own.privateKey());
    QSslConfiguration::setDefaultConfiguration(conf);
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
