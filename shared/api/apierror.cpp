#include "shared/api/apierror.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace Kiln::Api {
namespace {

// AIS's messages about ETLs say "etl job <name>" (the SDK keys on the same words).
bool aboutEtl(const QString &message)
{
    return message.contains(QLatin1String("etl job"));
}

// The AIS error type of an answer whose body names none, as the AIS SDK derives it.
void nameTheType(Error &e, int status, const QByteArray &method)
{
    if (status == 401 && e.tcode.isEmpty()) {
        e.tcode = TCode::Unauthorized;
    } else if (status == 403 && e.tcode.isEmpty()) {
        e.tcode = TCode::Forbidden;
    } else if (status == 404 && aboutEtl(e.message)) {
        e.tcode = TCode::EtlNotFound;
    } else if (status == 409 && method == "GET") {
        e.tcode = TCode::GetConflict;
    } else if (status == 409 && e.message.contains(QLatin1String("already exists"))) {
        e.code = ErrorCode::AlreadyExists;
        if (e.tcode.isEmpty())
            e.tcode = aboutEtl(e.message) ? TCode::EtlAlreadyExists : TCode::BucketAlreadyExists;
    } else if (status == 400 && e.tcode.isEmpty()
               && e.message.contains(QLatin1String("ETL name"))) {
        e.tcode = TCode::InvalidEtlName;
    }
}

} // namespace

ErrorCode codeForStatus(int status)
{
    switch (status) {
    case 400:
        return ErrorCode::InvalidArgument;
    case 404:
        return ErrorCode::NotFound;
    case 409:
        return ErrorCode::Conflict;
    case 413:
        return ErrorCode::TooLarge;
    case 500:
        return ErrorCode::Internal;
    case 501:
        return ErrorCode::Unsupported;
    case 503:
        return ErrorCode::Unavailable;
    case 504:
        return ErrorCode::Timeout;
    default:
        return status >= 500 ? ErrorCode::Internal : ErrorCode::InvalidArgument;
    }
}

QString errorMessageFromBody(const QByteArray &body, int status)
{
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    if (doc.isObject() && doc.object().contains("message"))
        return doc.object().value("message").toString();
    const QString text = QString::fromUtf8(body).trimmed();
    if (!text.isEmpty())
        return text.left(2000);
    return QStringLiteral("HTTP status %1").arg(status);
}

Error classifyHttpError(int status, const QByteArray &body, const QByteArray &method)
{
    Error e{codeForStatus(status), errorMessageFromBody(body, status), {}};
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    if (doc.isObject())
        e.tcode = doc.object().value("tcode").toString();
    nameTheType(e, status, method);
    return e;
}

ErrorKind errorKind(const Error &error)
{
    if (error.tcode == TCode::EtlAlreadyExists)
        return ErrorKind::EtlAlreadyExists;
    if (error.tcode == TCode::EtlNotFound)
        return ErrorKind::EtlNotFound;
    if (error.tcode == TCode::InvalidEtlName)
        return ErrorKind::InvalidEtlName;
    if (error.tcode == TCode::Unauthorized)
        return ErrorKind::Unauthorized;
    if (error.tcode == TCode::Forbidden)
        return ErrorKind::Forbidden;
    switch (error.code) {
    case ErrorCode::InvalidArgument:
    case ErrorCode::TooLarge:
        return ErrorKind::BadRequest;
    case ErrorCode::NotFound:
        return ErrorKind::NotFound;
    case ErrorCode::AlreadyExists:
    case ErrorCode::Conflict:
        return ErrorKind::Conflict;
    case ErrorCode::Unavailable:
        return ErrorKind::Unavailable;
    case ErrorCode::Timeout:
        return ErrorKind::Timeout;
    case ErrorCode::Internal:
    case ErrorCode::Unsupported:
        return ErrorKind::ServerFailure;
    case ErrorCode::Aborted:
        break;
    }
    return ErrorKind::Other;
}

} // namespace Kiln::Api
