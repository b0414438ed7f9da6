#include "service/target/rebalancesender.h"

#include "service/node/intracall.h"
#include "service/target/arrivalcheck.h"
#include "service/target/objectdelivery.h"
#include "service/target/xattrs.h"
#include "shared/api/names.h"
#include "shared/api/routepath.h"
#include "shared/api/wire.h"
#include "shared/core/logging.h"

#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QUrl>

#include <memory>

namespace Kiln::Target {
namespace {

constexpr int SendTimeoutMs = 120000;

QNetworkRequest putRequest(const ObjectInfo &info, const QString &ownerUrl, qint64 size)
{
    QUrl url(ownerUrl
             + Api::routePath(Api::Route::Object,
                              {QString::fromLatin1(QUrl::toPercentEncoding(info.bucket)),
                               QString::fromLatin1(QUrl::toPercentEncoding(info.name, "/"))}));
    url.setQuery(QStringLiteral("provider=ais"));
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentLengthHeader, size);
    request.setHeader(QNetworkRequest::ContentTypeHeader, Api::MimeOctets);
    request.setRawHeader(Node::IntraHeader, "1");
    request.setRawHeader(RebalanceHeader, QByteArray::number(info.mtimeNs));
    request.setRawHeader(ObjectSizeHeader, QByteArray::number(size)); // checked on arrival
    request.setRawHeader(Api::Header::ChecksumType, info.checksumType.toLatin1());
    request.setRawHeader(Api::Header::ChecksumValue, info.checksum.toLatin1());
    if (!info.version.isEmpty())
        request.setRawHeader(Api::Header::Version, info.version.toLatin1());
    if (!info.custom.isEmpty())
        request.setRawHeader(CustomMdHeader, Xattrs::encodeCustom(info.custom));
    request.setTransferTimeout(SendTimeoutMs);
    return request;
}

} // namespace

void HttpRebalanceSender::send(const ObjectInfo &info, const QString &ownerUrl, QObject *context,
                               std::function<void(bool ok)> done)
{
    auto file = std::make_shared<QFile>(info.path);
    if (!file->open(QIODevice::ReadOnly)) {
        Log::target().warn("rebalance: cannot read {}: {}", info.path, file->errorString());
        return done(false);
    }
    QNetworkReply *reply = m_nam.put(putRequest(info, ownerUrl, file->size()), file.get());
    QObject::connect(reply, &QNetworkReply::finished, context,
                     [reply, file, info, done = std::move(done)] {
                         reply->deleteLater();
                         file->close();
                         const int status
                             = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                         if (status != 200)
                             Log::target().warn(
                                 "rebalance: sending {} failed ({}); the copy stays here",
                                 Api::objectCname(info.bucket, info.name),
                                 status ? QString::number(status) : reply->errorString());
                         done(status == 200);
                     });
}

} // namespace Kiln::Target
