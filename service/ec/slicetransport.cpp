#include "service/ec/slicetransport.h"

#include "service/auth/clustersecret.h"
#include "service/ec/sliceroutes.h"
#include "service/node/intracall.h"
#include "service/target/checksummer.h"
#include "shared/api/routepath.h"
#include "shared/api/wire.h"
#include "shared/core/logging.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QUrl>

#include <memory>

namespace Kiln::Ec {
namespace {

constexpr int TransferTimeoutMs = 120000;

} // namespace

SliceTransport::SliceTransport(QNetworkAccessManager &nam, QObject *parent)
    : QObject(parent)
    , m_nam(nam)
{ }

QNetworkRequest SliceTransport::request(const Cluster::Snode &node, const QString &bucket,
                                        const QString &object, const QString &query) const
{
    QUrl url(node.url()
             + Api::routePath(SliceRoute,
                              {QString::fromLatin1(QUrl::toPercentEncoding(bucket)),
                               QString::fromLatin1(QUrl::toPercentEncoding(object, "/"))}));
    url.setQuery(query);
    QNetworkRequest req(url);
    req.setRawHeader(Node::IntraHeader, "1");
    if (Auth::ClusterSecret::isSet())
        req.setRawHeader("Authorization", Auth::ClusterSecret::intraAuthorization());
    req.setTransferTimeout(TransferTimeoutMs);
    return req;
}

void SliceTransport::send(const Cluster::Snode &node, const QString &bucket, const QString &object,
                          const QString &path, const SliceMeta &meta, const QList<int> &keep,
                          std::function<void(bool)> done)
{
    auto file = std::make_shared<QFile>(path);
    if (!file->open(QIODevice::ReadOnly)) {
        Log::target().warn("ec: cannot read {}: {}", path, file->errorString());
        return done(false);
    }
    QStringList kept;
    for (int i : keep)
        kept.append(QString::number(i));
    QNetworkRequest req = request(node, bucket, object, QStringLiteral("keep=") + kept.join(','));
    req.setHeader(QNetworkRequest::ContentLengthHeader, file->size());
    req.setHeader(QNetworkRequest::ContentTypeHeader, Api::MimeOctets);
    req.setRawHeader(MetaHeader, meta.toJson());
    QNetworkReply *reply = m_nam.put(req, file.get());
    connect(reply, &QNetworkReply::finished, this, [reply, file, node, done] {
        reply->deleteLater();
        file->close();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status != 200)
            Log::target().warn("ec: slice to {} failed ({} {}): {}", node.id, status,
                               reply->errorString(), reply->readAll().left(300).toStdString());
        done(status == 200);
    });
}

void SliceTransport::held(const Cluster::Snode &node, const QString &bucket, const QString &object,
                          std::function<void(QList<int>)> done)
{
    QNetworkReply *reply = m_nam.get(request(node, bucket, object));
    connect(reply, &QNetworkReply::finished, this, [reply, done] {
        reply->deleteLater();
        QList<int> out;
        if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200)
            for (const QJsonValue &v :
                 QJsonDocument::fromJson(reply->readAll()).object().value("held").toArray())
                out.append(v.toInt());
        done(out);
    });
}

void SliceTransport::fetch(const Cluster::Snode &node, const QString &bucket, const QString &object,
                           int index, const QString &path,
                           std::function<void(std::optional<SliceMeta>)> done)
{
    auto file = std::make_shared<QFile>(path);
    if (!file->open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        Log::target().warn("ec: cannot create {}: {}", path, file->errorString());
        return done(std::nullopt);
    }
    auto made = Target::Checksummer::make(QString::fromLatin1(SliceCksumType));
    auto sum = std::make_shared<Target::Checksummer>(std::move(*made));
    auto failed = std::make_shared<bool>(false);
    QNetworkReply *reply
        = m_nam.get(request(node, bucket, object, QStringLiteral("idx=%1").arg(index)));
    // Bytes go to the file as they come: memory stays bounded whatever the slice's size.
    connect(reply, &QNetworkReply::readyRead, this, [reply, file, sum, failed] {
        if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 200)
            return (void)reply->readAll();
        const QByteArray chunk = reply->readAll();
        if (file->write(chunk) != chunk.size())
            *failed = true;
        sum->update(chunk.constData(), chunk.size());
    });
    connect(reply, &QNetworkReply::finished, this, [reply, file, sum, failed, node, index, done] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status == 200) {
            const QByteArray rest = reply->readAll();
            *failed = *failed || file->write(rest) != rest.size();
            sum->update(rest.constData(), rest.size());
        }
        *failed = !file->flush() || *failed;
        file->close();
        auto meta = SliceMeta::fromJson(reply->rawHeader(MetaHeader));
        if (status != 200 || *failed || !meta || meta->index != index
            || meta->sliceCksum != sum->digest()) {
            if (status == 200)
                Log::target().warn("ec: slice from {} does not match its checksum: skipped",
                                   node.id);
            file->remove();
            return done(std::nullopt);
        }
        done(meta);
    });
}

void SliceTransport::drop(const Cluster::Snode &node, const QString &bucket, const QString &object)
{
    QNetworkReply *reply = m_nam.deleteResource(request(node, bucket, object));
    connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
}

} // namespace Kiln::Ec
