#include "service/http/errors.h"

#include "service/http/request.h"
#include "shared/api/json.h"

#include <QJsonObject>

namespace Kiln::Http {

int statusFor(ErrorCode code)
{
    switch (code) {
    case ErrorCode::InvalidArgument:
        return 400;
    case ErrorCode::NotFound:
        return 404;
    case ErrorCode::AlreadyExists:
    case ErrorCode::Conflict:
        return 409;
    case ErrorCode::TooLarge:
        return 413;
    case ErrorCode::Unsupported:
        return 501;
    case ErrorCode::Unavailable:
        return 503;
    case ErrorCode::Timeout:
        return 504;
    case ErrorCode::Aborted:
        return 499;
    case ErrorCode::Internal:
        return 500;
    case ErrorCode::EtlTimeout:
    case ErrorCode::EtlNoAnswer:
        return 400;
    case ErrorCode::EtlStatus:
        return 500; // an ETL error without its status (see the overload below)
    }
    return 500;
}

int statusFor(const Error &error)
{
    if (error.code == ErrorCode::EtlStatus && error.peerStatus >= 400 && error.peerStatus < 600)
        return error.peerStatus;
    return statusFor(error.code);
}

QByteArray aisErrorBody(const Error &error, int status, const Request &request, const QString &node)
{
    QJsonObject body{
        {"message", error.message},
        {"method", QString::fromLatin1(request.method)},
        {"url_path", request.path()},
        {"remote_addr", QStringLiteral("%1:%2").arg(request.peer.toString()).arg(request.peerPort)},
        {"caller", QString::fromUtf8(request.header("user-agent"))},
        {"node", node},
        {"status", status}};
    if (!error.tcode.isEmpty())
        body.insert("tcode", error.tcode);
    return Api::compact(body);
}

const char *reasonPhrase(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 307:
        return "Temporary Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 416:
        return "Range Not Satisfiable";
    case 431:
        return "Request Header Fields Too Large";
    case 499:
        return "Client Closed Request";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Status";
    }
}

} // namespace Kiln::Http
