#include "service/auth/hmacsha256.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>

#include <memory>

namespace Kiln::Auth {
namespace {

struct MacDeleter
{
    void operator()(EVP_MAC *mac) const { EVP_MAC_free(mac); }
    void operator()(EVP_MAC_CTX *ctx) const { EVP_MAC_CTX_free(ctx); }
};

// One thread's context, set up for the last key it was used with.
class ThreadMac
{
public:
    // The context ready for a message under key; null if OpenSSL failed.
    EVP_MAC_CTX *start(const QByteArray &key)
    {
        if (!m_ctx) {
            const std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
            m_ctx.reset(mac ? EVP_MAC_CTX_new(mac.get()) : nullptr);
            if (!m_ctx)
                return nullptr;
        }
        if (m_ready && key == m_key) // the same key: no new key schedule
            return EVP_MAC_init(m_ctx.get(), nullptr, 0, nullptr) ? m_ctx.get() : nullptr;
        char digest[] = "SHA256";
        const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                                      digest, 0),
                                     OSSL_PARAM_construct_end()};
        static const unsigned char empty = 0; // HMAC allows an empty key; OpenSSL wants a pointer
        const auto *bytes = key.isEmpty() ? &empty
                                          : reinterpret_cast<const unsigned char *>(key.constData());
        m_ready = EVP_MAC_init(m_ctx.get(), bytes, size_t(key.size()), params) == 1;
        m_key = key;
        return m_ready ? m_ctx.get() : nullptr;
    }

private:
    std::unique_ptr<EVP_MAC_CTX, MacDeleter> m_ctx;
    QByteArray m_key;
    bool m_ready = false;
};

} // namespace

QByteArray hmacSha256(const QByteArray &key, std::initializer_list<QByteArrayView> parts)
{
    thread_local ThreadMac mac;
    QByteArray out(EVP_MAX_MD_SIZE, Qt::Uninitialized);
    size_t length = 0;
    EVP_MAC_CTX *ctx = mac.start(key);
    bool ok = ctx != nullptr;
    for (auto part = parts.begin(); ok && part != parts.end(); ++part)
        ok = EVP_MAC_update(ctx, reinterpret_cast<const unsigned char *>(part->data()),
                            size_t(part->size()))
            == 1;
    if (ok
        && EVP_MAC_final(ctx, reinterpret_cast<unsigned char *>(out.data()), &length,
                         size_t(out.size()))) {
        out.truncate(qsizetype(length));
        return out;
    }
    // OpenSSL refused (it never does with its default provider): Qt's own, slower, same bytes.
    QMessageAuthenticationCode qt(QCryptographicHash::Sha256, key);
    for (QByteArrayView part : parts)
        qt.addData(part.data(), part.size());
    return qt.result();
}

QByteArray hmacSha256(const QByteArray &key, const QByteArray &message)
{
    return hmacSha256(key, {QByteArrayView(message)});
}

} // namespace Kiln::Auth
