#pragma once

#include "shared/core/error.h"

#include <QByteArray>

// How the console's client reads an error answer: the HTTP status plus the AIS error body
// ({"message", "tcode", ...}, cmn.ErrHTTP). The body's tcode is kept when the server sends one;
// otherwise the client names the AIS error type from status and message the way the AIS Python
// SDK does (response_handler.py: 409 about an "etl job" is ErrETLAlreadyExists, and so on), so
// that callers switch on a typed kind and never read message text.

namespace Kiln::Api {

namespace TCode {
inline constexpr char NotFound[] = "ErrNotFound";
inline constexpr char BucketNotFound[] = "ErrBckNotFound";
inline constexpr char BucketAlreadyExists[] = "ErrBckAlreadyExists";
inline constexpr char EtlNotFound[] = "ErrETLNotFound";
inline constexpr char EtlAlreadyExists[] = "ErrETLAlreadyExists";
inline constexpr char GetConflict[] = "ErrGETConflict";
// Kiln's name for a refused ETL name (AIS answers it as a plain 400).
inline constexpr char InvalidEtlName[] = "ErrInvalidETLName";
// The client's names for AIS's auth refusals, which come without a tcode: 401 (no usable token)
// and 403 (a valid token without the permission).
inline constexpr char Unauthorized[] = "kiln:unauthorized";
inline constexpr char Forbidden[] = "kiln:forbidden";
} // namespace TCode

enum class ErrorKind {
    Other,
    EtlAlreadyExists,
    EtlNotFound,
    InvalidEtlName,
    Unauthorized, // 401: no token, or one the cluster does not take (expired, revoked, forged)
    Forbidden, // 403: the token's user lacks the permission
    BadRequest, // any other 4xx the caller can fix (a spec error, a bad argument)
    NotFound,
    Conflict,
    Unavailable, // no answer, 503, or the endpoint is not set
    Timeout,
    ServerFailure, // 5xx
};

// The error code whose HTTP status this is (the way back from Http::statusFor): one table for
// the console's client and for a node reading another node's answer. A status not in the
// table is Internal from 500 up, InvalidArgument below.
ErrorCode codeForStatus(int status);

// The message of an AIS error body ({"message": ...}), or the text itself.
QString errorMessageFromBody(const QByteArray &body, int status);

// The Error for an HTTP error answer (status >= 400) to a request made with this method.
Error classifyHttpError(int status, const QByteArray &body, const QByteArray &method);

// What kind of failure an Error from ApiClient is.
ErrorKind errorKind(const Error &error);

} // namespace Kiln::Api
