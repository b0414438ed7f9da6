#pragma once

#include "shared/api/bmd.h"
#include "shared/cluster/smap.h"
#include "shared/core/result.h"

#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QObject>
#include <QStringList>

#include <optional>

class QNetworkAccessManager;

namespace Kiln::Http {
class Exchange;
}
namespace Kiln::Node {
struct IntraReply;
}

namespace Kiln::Proxy {

// AIS's bucket summaries: object counts, sizes (min, average, max, total), space on disk and
// its share of the targets' disks, per bucket. A summary is a short job: the first request
// (GET /v1/buckets[/<bucket>] {"action": "summary-bck"}, or HEAD /v1/buckets/<bucket> with
// bsumm_remote for the SDK's Bucket.info) answers 202 and its id; every target counts its
// share; polls with the id answer 202 until all have, then 200 with the results (`ais bucket
// summary`, `ais storage summary`). Lives on the proxy's main thread.
class BucketSummary final : public QObject
{
    Q_OBJECT
public:
    BucketSummary(const Cluster::Smap &smap, const Api::Bmd &bmd, QNetworkAccessManager &nam,
                  QObject *parent = nullptr);

    // bucket empty: every bucket. value: AIS's BsummCtrlMsg.
    void summary(Http::Exchange ex, const QString &bucket, const QJsonValue &value);
    void info(Http::Exchange ex, const QString &bucket, const QString &prefix);

    // One bucket's result in AIS's JSON (cmn.BsummResult), from the targets' shares.
    struct Share
    {
        qint64 objects = 0, bytes = 0, minSize = -1, maxSize = 0, onDisk = 0;
    };
    static QJsonObject resultJson(const QString &bucket, const Share &total, qint64 disks);

private:
    struct Run
    {
        QStringList buckets;
        QString prefix;
        bool done = false;
        std::optional<Error> error;
        QJsonArray results; // AIS's AllBsummResults, sorted by bucket
        QDateTime started;
    };
    QString start(const QStringList &buckets, const QString &prefix);
    void collect(const QString &id, const QList<Node::IntraReply> &replies);

    const Cluster::Smap &m_smap;
    const Api::Bmd &m_bmd;
    QNetworkAccessManager &m_nam;
    QHash<QString, Run> m_runs;
    QStringList m_order; // oldest first, bounded
};

} // namespace Kiln::Proxy
