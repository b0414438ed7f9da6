#include "service/proxy/bucketsummary.h"

#include "service/http/exchange.h"
#include "service/node/intracall.h"
#include "service/proxy/jobcontrol.h"
#include "service/proxy/objectactions.h"
#include "shared/api/json.h"
#include "shared/api/names.h"
#include "shared/api/objectwire.h"
#include "shared/api/wire.h"

#include <QJsonDocument>
#include <QMap>
#include <QUrl>

namespace Kiln::Proxy {
namespace {

constexpr int MaxRuns = 64; // finished summaries kept for their pollers

qint64 divRound(qint64 a, qint64 b)
{
    return b > 0 ? (a + b / 2) / b : 0;
}

QByteArray arrayJson(const QJsonArray &a)
{
    return QJsonDocument(a).toJson(QJsonDocument::Compact);
}

} // namespace

BucketSummary::BucketSummary(const Cluster::Smap &smap, const Api::Bmd &bmd,
                             QNetworkAccessManager &nam, QObject *parent)
    : QObject(parent)
    , m_smap(smap)
    , m_bmd(bmd)
    , m_nam(nam)
{ }

QJsonObject BucketSummary::resultJson(const QString &bucket, const Share &t, qint64 disks)
{
    // AIS's cmn.BsummResult: the bucket's fields, then apc.BsummResult's untagged groups;
    // counters tagged ",string" go out quoted.
    return QJsonObject{
        {"name", bucket},
        {"provider", Api::ProviderAis},
        {"namespace", QJsonObject{{"uuid", ""}, {"name", ""}}},
        {"ObjCount",
         QJsonObject{{"obj_count_present", QString::number(t.objects)}, {"obj_count_remote", "0"}}},
        {"ObjSize",
         QJsonObject{{"obj_min_size", t.minSize < 0 ? 0 : t.minSize},
                     {"obj_avg_size", divRound(t.bytes, t.objects)},
                     {"obj_max_size", t.maxSize}}},
        {"TotalSize",
         QJsonObject{{"size_on_disk", QString::number(t.onDisk)},
                     {"size_all_present_objs", QString::number(t.bytes)},
                     {"size_all_remote_objs", "0"},
                     {"total_disks_size", QString::number(disks)}}},
        {"used_pct", divRound(t.onDisk * 100, disks)},
        {"is_present", true},
    };
}

QString BucketSummary::start(const QStringList &buckets, const QString &prefix)
{
    const QString id = JobControl::newJobId();
    m_runs.insert(id,
                  Run{buckets, prefix, false, std::nullopt, {}, QDateTime::currentDateTimeUtc()});
    m_order.append(id);
    while (m_order.size() > MaxRuns)
        m_runs.remove(m_order.takeFirst());
    QString path = QString::fromLatin1(Api::Route::TxnSummary) + QStringLiteral("?prefix=")
        + QString::fromUtf8(QUrl::toPercentEncoding(prefix));
    if (buckets.size() == 1)
        path += QStringLiteral("&bucket=")
            + QString::fromUtf8(QUrl::toPercentEncoding(buckets.first()));
    const Node::IntraRequest request{"GET", path, {}, {}, 600000};
    Node::callNodes(m_nam, m_smap.targets(), request, this,
                    [this, id](const QList<Node::IntraReply> &replies) { collect(id, replies); });
    return id;
}

void BucketSummary::collect(const QString &id, const QList<Node::IntraReply> &replies)
{
    const auto it = m_runs.find(id);
    if (it == m_runs.end())
        return;
    QMap<QString, Share> totals; // sorted by bucket name, as AIS sorts its results
    for (const QString &b : std::as_const(it->buckets))
        totals.insert(b, Share{});
    qint64 disks = 0;
    for (const Node::IntraReply &r : replies) {
        auto json = r.ok() ? Api::parseObject(r.body, "summary share")
                           : Result<QJsonObject>(ObjectActions::errorOf(r));
        if (!json) {
            it->error = json.error();
            it->done = true;
            return;
        }
        disks += json->value("disks").toInteger();
        for (const QJsonValue &v : json->value("buckets").toArray()) {
            const QJsonObject b = v.toObject();
            const auto t = totals.find(b.value("name").toString());
            if (t == totals.end())
                continue; // created while we counted
            t->objects += b.value("objects").toInteger();
            t->bytes += b.value("bytes").toInteger();
            t->onDisk += b.value("on_disk").toInteger();
            t->maxSize = std::max(t->maxSize, b.value("max").toInteger());
            const qint64 min = b.value("min").toInteger(-1);
            if (min >= 0)
                t->minSize = t->minSize < 0 ? min : std::min(t->minSize, min);
        }
    }
    for (auto t = totals.constBegin(); t != totals.constEnd(); ++t)
        it->results.append(resultJson(t.key(), *t, disks));
    it->done = true;
}

void BucketSummary::summary(Http::Exchange ex, const QString &bucket, const QJsonValue &value)
{
    const QJsonObject msg = value.toObject();
    const QString uuid = Api::valueCi(msg, u"uuid").toString();
    if (uuid.isEmpty()) {
        if (m_smap.targets().isEmpty())
            return ex.fail(makeError(ErrorCode::Unavailable, "no targets in the cluster"));
        const QStringList buckets = bucket.isEmpty() ? m_bmd.buckets().keys() : QStringList{bucket};
        const QString id = start(buckets, Api::valueCi(msg, u"prefix").toString());
        return ex.respond(202, id.toUtf8(), Api::MimeText);
    }
    const auto it = m_runs.constFind(uuid);
    if (it == m_runs.constEnd())
        return ex.fail(makeError(
            ErrorCode::NotFound,
            QStringLiteral("%1: xaction \"%2\" not found").arg(Api::Action::SummaryBucket, uuid)));
    if (!it->done)
        return ex.json("[]", 202);
    if (it->error)
        return ex.fail(*it->error);
    ex.json(arrayJson(it->results));
}

void BucketSummary::info(Http::Exchange ex, const QString &bucket, const QString &prefix)
{
    const Http::Headers props{
        {Api::Header::BucketProps, Api::compact(m_bmd.bucket(bucket)->toAisProps())}};
    const QString uuid = ex.request().queryValue(Api::Query::Uuid);
    if (uuid.isEmpty()) {
        if (m_smap.targets().isEmpty())
            return ex.fail(makeError(ErrorCode::Unavailable, "no targets in the cluster"));
        Http::Headers headers = props;
        headers.append({Api::Header::XactionId, start({bucket}, prefix).toUtf8()});
        return ex.respond(202, {}, {}, headers);
    }
    const auto it = m_runs.constFind(uuid);
    if (it == m_runs.constEnd())
        return ex.fail(makeError(
            ErrorCode::NotFound,
            QStringLiteral("%1: xaction \"%2\" not found").arg(Api::Action::SummaryBucket, uuid)));
    if (it->error)
        return ex.fail(*it->error);
    Http::Headers headers = props;
    headers.append({Api::Header::XactionId, uuid.toUtf8()});
    if (!it->done)
        return ex.respond(202, {}, {}, headers);
    headers.append({Api::Header::BucketSumm, Api::compact(it->results.first().toObject())});
    ex.respond(200, {}, {}, headers);
}

} // namespace Kiln::Proxy
