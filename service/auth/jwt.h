#pragma once

#include "shared/core/result.h"

#include <QByteArray>
#include <QJsonObject>

namespace Kiln::Auth::Jwt {

// A compact JWS signed with HMAC-SHA256 (HS256), as AuthN signs with the cluster's secret.
QByteArray signHs256(const QJsonObject &payload, const QByteArray &secret);

// The payload of a token whose header says HS256 and whose signature the secret makes
// (compared in constant time). Any other alg ("none", RS256) is refused. Errors are
// Auth::unauthenticated (401). Claims (exp, sub) are not looked at here.
Result<QJsonObject> verifyHs256(const QByteArray &token, const QByteArray &secret);

} // namespace Kiln::Auth::Jwt
