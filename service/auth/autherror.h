#pragma once

#include "shared/core/error.h"

namespace Kiln::Auth {

// Auth's two refusals as Kiln errors: 401 (no usable token: missing, invalid, expired,
// revoked) and 403 (a valid token without the permission). The kind rides in Error::tcode
// under a name of Kiln's own, which answer() drops: AIS sends these without a tcode.
inline constexpr char TcodeUnauthenticated[] = "kiln:unauthenticated";
inline constexpr char TcodeForbidden[] = "kiln:forbidden";

inline Error unauthenticated(const QString &message)
{
    return Error{ErrorCode::InvalidArgument, message, QString::fromLatin1(TcodeUnauthenticated)};
}

inline Error forbidden(const QString &message)
{
    return Error{ErrorCode::InvalidArgument, message, QString::fromLatin1(TcodeForbidden)};
}

inline bool isUnauthenticated(const Error &e)
{
    return e.tcode == QLatin1String(TcodeUnauthenticated);
}

inline bool isForbidden(const Error &e)
{
    return e.tcode == QLatin1String(TcodeForbidden);
}

// The status an auth error is answered with: 401 or 403.
inline int statusOf(const Error &e)
{
    return isForbidden(e) ? 403 : 401;
}

} // namespace Kiln::Auth
