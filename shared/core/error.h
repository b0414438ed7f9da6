#pragma once

#include <QString>

namespace Kiln {

// What went wrong, as a category the HTTP edge maps to a status code (see
// service/http/errormapping).
enum class ErrorCode {
    InvalidArgument, // 400
    NotFound, // 404
    AlreadyExists, // 409
    Conflict, // 409
    TooLarge, // 413
    Unsupported, // 501
    Unavailable, // 503
    Timeout, // 504
    Aborted, // 499-ish: client went away or the operation was cancelled
    Internal, // 500
};

// An error written for the user, with the AIS type name ("tcode") when one applies.
struct Error
{
    ErrorCode code = ErrorCode::Internal;
    QString message;
    QString tcode; // e.g. ErrBckNotFound; optional
};

inline Error makeError(ErrorCode code, const QString &message, const QString &tcode = {})
{
    return Error{code, message, tcode};
}

} // namespace Kiln
