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
    // An ETL instance gave no status (obj_timeout, a connection that failed, an instance that
    // died or stopped): AIS's error without a code, 400. Never a 5xx the SDK would retry ~90 s.
    EtlTimeout, // 400: no answer within obj_timeout
    EtlNoAnswer, // 400: the exchange with the instance failed
    // An ETL server's own error status, passed on to the client as AIS does; the status
    // travels in Error::peerStatus (an io:// program that failed counts as 500).
    EtlStatus,
};

// An error written for the user, with the AIS type name ("tcode") when one applies.
struct Error
{
    ErrorCode code = ErrorCode::Internal;
    QString message;
    QString tcode; // e.g. ErrBckNotFound; optional
    int peerStatus = 0; // ErrorCode::EtlStatus only: the status the ETL server answered
};

inline Error makeError(ErrorCode code, const QString &message, const QString &tcode = {})
{
    return Error{code, message, tcode};
}

// An ETL server's own error answer, passed through with its status.
inline Error makeEtlStatusError(int status, const QString &message)
{
    return Error{ErrorCode::EtlStatus, message, {}, status};
}

} // namespace Kiln
