#include "shared/api/tlsfiles.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslKey>

namespace Kiln::Api {
namespace {

Result<QByteArray> readPem(const QString &path, const QString &what)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("cannot read the %1 %2: %3")
                                                         .arg(what, path, file.errorString()));
    return file.readAll();
}

Result<QList<QSslCertificate>> readCertificates(const QString &path, const QString &what)
{
    auto pem = readPem(path, what);
    if (!pem)
        return pem.error();
    const QList<QSslCertificate> certs = QSslCertificate::fromData(*pem, QSsl::Pem);
    if (certs.isEmpty())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("the %1 %2 holds no PEM certificate").arg(what, path));
    return certs;
}

Result<QSslKey> readKey(const QString &path)
{
    auto pem = readPem(path, QStringLiteral("client key"));
    if (!pem)
        return pem.error();
    // kilnd cluster makes EC keys; an RSA key is taken too.
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Ec, QSsl::Rsa}) {
        QSslKey key(*pem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            return key;
    }
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("the client key %1 holds no unencrypted PEM private key (EC or "
                                    "RSA)")
                         .arg(path));
}

} // namespace

Result<QSslConfiguration> loadTlsConfiguration(const TlsFiles &files)
{
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    if (!files.caFile.isEmpty()) {
        auto cas = readCertificates(files.caFile, QStringLiteral("CA file"));
        if (!cas)
            return cas.error();
        config.setCaCertificates(config.caCertificates() + *cas);
    }
    if (files.certFile.isEmpty() != files.keyFile.isEmpty())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("a client certificate needs its key, and a key its "
                                        "certificate"));
    if (!files.certFile.isEmpty()) {
        auto certs = readCertificates(files.certFile, QStringLiteral("client certificate"));
        if (!certs)
            return certs.error();
        auto key = readKey(files.keyFile);
        if (!key)
            return key.error();
        config.setLocalCertificate(certs->first());
        config.setPrivateKey(*key);
    }
    return config;
}

} // namespace Kiln::Api
