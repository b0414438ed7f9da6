#pragma once

#include <QByteArray>
#include <QString>

namespace Kiln::Authn {

// Salted password hashes through OpenSSL's PBKDF2-HMAC-SHA256 (a 16-byte random salt per
// password), stored as "pbkdf2-sha256$<iterations>$<salt>$<hash>" (base64). Slow on purpose:
// call both off the event loop.
QByteArray hashPassword(const QString &password, int iterations = 210000);
// Whether password matches a stored hash (compared in constant time); false for any
// hash this code did not make.
bool verifyPassword(const QString &password, const QByteArray &stored);

} // namespace Kiln::Authn
