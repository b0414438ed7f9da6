#pragma once

#include "shared/core/error.h"

#include <QByteArray>

namespace Kiln::Http {

struct Request;

// The one place error codes become HTTP statuses.
int statusFor(Kiln::ErrorCode code);
// The same for a whole error: an ETL server's own status (ErrorCode::EtlStatus) is passed on.
int statusFor(const Kiln::Error &error);

// The way back, for another node's answer, is Api::codeForStatus (shared/api/apierror.h).

// The AIS error body (cmn.ErrHTTP) for an error answered to this request by this node.
QByteArray aisErrorBody(const Kiln::Error &error, int status, const Request &request,
                        const QString &node);

const char *reasonPhrase(int status);

} // namespace Kiln::Http
