#pragma once

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrlQuery>

namespace Kiln::Http {

// One parsed HTTP request head. Header names are kept lower-case.
struct Request
{
    QByteArray method;
    QByteArray target; // raw request target: path + '?' + query, still percent-encoded
    QByteArray rawPath; // path part of target, percent-encoded
    QUrlQuery query;
    QList<QPair<QByteArray, QByteArray>> headers;
    qint64 contentLength = -1; // -1: none given (chunked or no body)
    bool chunked = false;
    QHostAddress peer;
    quint16 peerPort = 0;

    QByteArray header(const QByteArray &lowerName) const;
    QString queryValue(const QString &name) const; // fully decoded
    bool queryFlag(const QString &name) const; // "true"/"1"/"yes"
    bool hasBody() const { return chunked || contentLength > 0; }
    bool isHead() const { return method == "HEAD"; }
    QString path() const; // decoded path
};

// Route parameters extracted from the path ("bucket", "object", ...), decoded.
using Params = QHash<QString, QString>;

} // namespace Kiln::Http
