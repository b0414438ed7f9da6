#include "service/tls/selfsignedca.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <QDir>
#include <QFile>
#include <QHostAddress>

#include <memory>

namespace Kiln::Tls {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

Error failed(const QString &what)
{
    return makeError(ErrorCode::Internal, QStringLiteral("making TLS certificates: %1").arg(what));
}

bool addExtension(X509 *cert, X509 *issuer, int nid, const QByteArray &value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.constData());
    if (!ext)
        return false;
    const bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

// A certificate for key, named cn, valid `days`, signed by issuerKey (issuer null: self-signed).
Cert makeCert(EVP_PKEY *key, const char *cn, int days, X509 *issuer, EVP_PKEY *issuerKey,
              const QList<std::pair<int, QByteArray>> &extensions)
{
    Cert cert(X509_new(), X509_free);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f; // a positive serial
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_set_version(cert.get(), 2);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), long(days) * 86400);
    X509_set_pubkey(cert.get(), key);
    X509_NAME *name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char *>("Kiln"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char *>(cn), -1, -1, 0);
    X509 *signer = issuer ? issuer : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
    for (const auto &[nid, value] : extensions) {
        if (!addExtension(cert.get(), signer, nid, value))
            return Cert(nullptr, X509_free);
    }
    if (X509_sign(cert.get(), issuerKey ? issuerKey : key, EVP_sha256()) <= 0)
        return Cert(nullptr, X509_free);
    return cert;
}

QByteArray pem(X509 *cert, EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (cert)
        PEM_write_bio_X509(bio, cert);
    if (key)
        PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    QByteArray out(data, int(size));
    BIO_free(bio);
    return out;
}

bool save(const QString &path, const QByteArray &content, bool secret)
{
    QFile out(path);
    const auto mode = secret ? QFileDevice::ReadOwner | QFileDevice::WriteOwner
                             : QFileDevice::ReadOwner | QFileDevice::WriteOwner
            | QFileDevice::ReadGroup | QFileDevice::ReadOther;
    return out.open(QIODevice::WriteOnly | QIODevice::Truncate, mode)
        && out.write(content) == content.size() && out.flush();
}

QByteArray altNames(const QStringList &hosts)
{
    QStringList names;
    for (const QString &h : hosts)
        names << (QHostAddress(h).isNull() ? QStringLiteral("DNS:") : QStringLiteral("IP:")) + h;
    return names.join(',').toLatin1();
}

// client.pem/client.key signed by the CA in dir (its ca.pem and ca.key).
Result<void> makeClientCert(const QString &dir, const TlsFiles &files)
{
    std::unique_ptr<FILE, decltype(&fclose)> caPem(fopen(QFile::encodeName(files.ca), "r"), fclose);
    std::unique_ptr<FILE, decltype(&fclose)> caKeyPem(
        fopen(QFile::encodeName(dir + "/ca.key"), "r"), fclose);
    if (!caPem || !caKeyPem)
        return failed(QStringLiteral("no ca.pem and ca.key in %1 to sign a client certificate")
                          .arg(dir));
    Cert ca(PEM_read_X509(caPem.get(), nullptr, nullptr, nullptr), X509_free);
    Key caKey(PEM_read_PrivateKey(caKeyPem.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
    Key clientKey(EVP_EC_gen("P-256"), EVP_PKEY_free);
    if (!ca || !caKey || !clientKey)
        return failed(QStringLiteral("cannot read the CA in %1").arg(dir));
    Cert client = makeCert(clientKey.get(), "kiln-client", 730, ca.get(), caKey.get(),
                           {{NID_basic_constraints, "critical,CA:FALSE"},
                            {NID_key_usage, "critical,digitalSignature"},
                            {NID_ext_key_usage, "clientAuth"},
                            {NID_authority_key_identifier, "keyid:always"}});
    if (!client || !save(files.clientKey, pem(nullptr, clientKey.get()), true)
        || !save(files.clientCert, pem(client.get(), nullptr), false))
        return failed(QStringLiteral("the client certificate in %1").arg(dir));
    return {};
}

Result<void> makeCaAndNode(const QString &dir, const TlsFiles &files, const QStringList &hosts)
{
    Key caKey(EVP_EC_gen("P-256"), EVP_PKEY_free);
    Key nodeKey(EVP_EC_gen("P-256"), EVP_PKEY_free);
    if (!caKey || !nodeKey)
        return failed(QStringLiteral("no EC P-256 key"));
    Cert ca = makeCert(caKey.get(), "Kiln cluster CA", 3650, nullptr, nullptr,
                       {{NID_basic_constraints, "critical,CA:TRUE"},
                        {NID_key_usage, "critical,keyCertSign,cRLSign"},
                        {NID_subject_key_identifier, "hash"}});
    if (!ca)
        return failed(QStringLiteral("the CA certificate"));
    Cert node = makeCert(nodeKey.get(), "kilnd", 730, ca.get(), caKey.get(),
                         {{NID_basic_constraints, "critical,CA:FALSE"},
                          {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                          {NID_ext_key_usage, "serverAuth,clientAuth"},
                          {NID_subject_key_identifier, "hash"},
                          {NID_authority_key_identifier, "keyid:always"},
                          {NID_subject_alt_name, altNames(hosts)}});
    if (!node)
        return failed(QStringLiteral("the node certificate"));
    if (!save(dir + "/ca.key", pem(nullptr, caKey.get()), true)
        || !save(files.key, pem(nullptr, nodeKey.get()), true)
        || !save(files.cert, pem(node.get(), nullptr), false)
        || !save(files.ca, pem(ca.get(), nullptr), false))
        return failed(QStringLiteral("cannot write the files in %1").arg(dir));
    return {};
}

} // namespace

Result<TlsFiles> ensureSelfSignedCa(const QString &dir, const QStringList &hosts)
{
    const TlsFiles files{dir + "/ca.pem", dir + "/node.pem", dir + "/node.key",
                         dir + "/client.pem", dir + "/client.key"};
    if (!QFile::exists(files.ca) || !QFile::exists(files.cert) || !QFile::exists(files.key)) {
        if (!QDir().mkpath(dir))
            return failed(QStringLiteral("cannot create %1").arg(dir));
        if (auto made = makeCaAndNode(dir, files, hosts); !made)
            return made.error();
    }
    if (!QFile::exists(files.clientCert) || !QFile::exists(files.clientKey)) {
        if (auto made = makeClientCert(dir, files); !made)
            return made.error();
    }
    return files;
}

} // namespace Kiln::Tls
