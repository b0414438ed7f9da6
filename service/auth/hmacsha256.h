#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <initializer_list>

namespace Kiln::Auth {

// HMAC-SHA256 of message under key (32 raw bytes), with OpenSSL's SHA-256. Each thread keeps
// one context set up for the last key it used, so the per-call cost is the two hash passes
// over the message and nothing else: this signs and checks every redirected object request.
QByteArray hmacSha256(const QByteArray &key, const QByteArray &message);
// The same over the concatenation of parts, without building it.
QByteArray hmacSha256(const QByteArray &key, std::initializer_list<QByteArrayView> parts);

} // namespace Kiln::Auth
