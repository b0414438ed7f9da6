#pragma once

#include "service/target/objectinfo.h"
#include "shared/api/etlwire.h"
#include "shared/api/tcbmsg.h"
#include "shared/cluster/snode.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>

#include <deque>

class QNetworkAccessManager;

namespace Kiln::Http {
class BodySource;
}
namespace Kiln::Cluster {
class Smap;
}
namespace Kiln::Etl {
class Communicator;
}
namespace Kiln::Target {
class ObjectDelivery;
class ObjectStore;
struct Delivery;
} // namespace Kiln::Target

namespace Kiln::Xact {

// What the proxy asks every target to run.
struct JobSpec
{
    QString id;
    QString kind; // etl-bck | etl-listrange | copy-bck | copy-listrange | move-bck | make-n-copies
                  // | ec-encode
    QString srcBucket;
    QString dstBucket;
    Api::TcbMsg msg;

    QJsonObject toJson() const;
    static Result<JobSpec> fromJson(const QJsonObject &json);
    bool isTransform() const; // through an ETL (etl-*), or a copy (copy-bck, move-bck)
    bool isListRange() const; // names or a template (etl-listrange, copy-listrange)
};

using ObjError = Api::ObjError; // one definition, with its wire codec

// One offline job on one target (an AIS "xaction"): walks the source objects this target owns
// and, with N workers, hands each to the ETL through the communicator (etl-bck, etl-listrange)
// or takes it as it is (copy-bck, copy-listrange; move-bck also removes the source once
// copied), and delivers each result to the target that owns the destination name (see
// Target::ObjectDelivery). Counts objects and bytes, keeps the first 128 errors, aborts on the
// first error unless continue-on-error (then it finishes and reports them). A transform's dry
// run transforms too and only counts the results; a copy's only counts. Never modifies a source;
// a destination object is either whole or absent. Lives on the target's main thread.
class OfflineJob final : public QObject
{
    Q_OBJECT
public:
    struct Deps
    {
        Target::ObjectStore *store = nullptr;
        Target::ObjectDelivery *delivery = nullptr; // writes each result on its owner
        Etl::Communicator *comm = nullptr;
        QNetworkAccessManager *nam = nullptr;
        const Cluster::Smap *smap = nullptr;
        Cluster::Snode self;
        // ec-encode: gives one object its slices (Ec::EcManager::protect); done(ok) on context.
        std::function<void(const Target::ObjectInfo &, QObject *context,
                           std::function<void(bool)> done)>
            ecEncode;
    };
    OfflineJob(JobSpec spec, Deps deps, QObject *parent = nullptr);
    ~OfflineJob() override;

    void start();
    void abort(const QString &why);
    bool isFinished() const { return m_finished; }
    const JobSpec &spec() const { return m_spec; }
    // AIS xaction snapshot (qryxstats), plus "obj_errors".
    QJsonObject snap() const;
    // A destination object of this job arrived from another target.
    void countIncoming(qint64 bytes);

Q_SIGNALS:
    void finished();
    // The job stopped itself (an error without continue-on-error): the proxy aborts it everywhere.
    void failed(const QString &why);

private:
    void onSources(QList<Target::ObjectInfo> sources);
    void pump();
    void process(const Target::ObjectInfo &src);
    void done(const Target::ObjectInfo &src, bool ok, const QString &error = {}, int code = 0);
    void discard(const Target::ObjectInfo &src, std::unique_ptr<Http::BodySource> body);
    void copyOne(const Target::ObjectInfo &src, const QString &dstName);
    // ec-encode: the object's slices on the other targets (Deps::ecEncode).
    void ecEncodeOne(const Target::ObjectInfo &src);
    // make-n-copies: the object's copies on this target's mountpaths (Mirror::Replicas::sync).
    void mirrorOne(const Target::ObjectInfo &src);
    void delivered(const Target::ObjectInfo &src, const Result<Target::Delivery> &delivery);
    void maybeFinish();
    bool needsPrune() const;
    void prune(); // copy-bck with synchronize: see SyncPruner
    // The snapshot's "err": the first failed object and how many more (AIS's job error).
    QString errorText() const;

    JobSpec m_spec;
    Deps m_deps;
    int m_workers = 4;
    std::deque<Target::ObjectInfo> m_queue;
    bool m_listed = false;
    int m_inFlight = 0;
    bool m_finished = false;
    bool m_aborted = false;
    bool m_pruned = false;
    QString m_abortErr;
    QDateTime m_start;
    QDateTime m_end;
    qint64 m_locObjs = 0, m_locBytes = 0, m_outObjs = 0, m_outBytes = 0, m_inObjs = 0,
           m_inBytes = 0;
    QList<ObjError> m_errors; // the first MaxErrors
    qint64 m_failed = 0; // every failed object
};

} // namespace Kiln::Xact
