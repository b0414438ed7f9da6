#pragma once

#include "service/target/appendroutes.h"
#include "service/target/archiveroutes.h"
#include "service/target/copyroutes.h"
#include "service/target/custommdroutes.h"
#include "service/target/getfromneighbor.h"
#include "service/target/targetcontext.h"
#include "shared/api/actmsg.h"

#include <QObject>

#include <functional>
#include <optional>

namespace Kiln::Http {
class Exchange;
class Router;
} // namespace Kiln::Http

namespace Kiln::Target {

// Object requests on a target: GET (with Range, or an archived file), HEAD, a plain PUT
// (streamed to a temporary file and renamed into place), DELETE; PUT, POST and PATCH of AIS's
// other forms go to their route classes (copy, append, custom metadata) once classified, so no
// action is ever taken for a write of an empty body. Lives on the target's main thread.
class ObjectRoutes final : public QObject
{
    Q_OBJECT
public:
    // What object requests hand to other parts of the target.
    struct Hooks
    {
        // GET with etl_name (or the seed-era uuid): the object through that ETL.
        std::function<void(Http::Exchange, const QString &etlName, const QString &bucket,
                           const QString &object)>
            inlineTransform;
        // A job's result another target stored here (PUT ?uuid=<job>): that job's "in".
        std::function<void(const QString &jobId, qint64 bytes)> countIncoming;
        // An object another target moved here with rebalance was stored.
        std::function<void(qint64 bytes)> countRebalanced;
        // Erasure coding (service/ec): a local miss may be rebuilt from the object's slices
        // (false: the bucket is not erasure coded). Stored and deleted objects reach it from
        // the store (ObjectStore::objectCommitted, objectRemoved), whatever path wrote them.
        std::function<bool(const QString &bucket, const QString &object, QObject *context,
                           std::function<void(const Result<ObjectInfo> &)> done)>
            rebuild;
    };

    ObjectRoutes(TargetContext ctx, Hooks hooks, QObject *parent = nullptr);

    void registerRoutes(Http::Router &router);

private:
    void onGet(Http::Exchange ex);
    // Sends the object's bytes (or the range asked for) from info's file; one that is gone by
    // then is a miss (missedRead) when missable, else a 404.
    void serve(Http::Exchange ex, const ObjectInfo &info, bool missable);
    // A GET or HEAD of an object not stored here: rebuilt from its slices (then `found`
    // answers), or asked of the neighbors.
    using Found = std::function<void(Http::Exchange, const ObjectInfo &)>;
    void missed(Http::Exchange ex, const QString &bucket, const QString &object, Found found);
    // missed() for a GET: what is found there is served, and a second miss is a 404.
    void missedRead(Http::Exchange ex, const QString &bucket, const QString &object);
    void onHead(Http::Exchange ex);
    void onPut(Http::Exchange ex);
    void onPost(Http::Exchange ex);
    void onPatch(Http::Exchange ex);
    void onDelete(Http::Exchange ex);
    void write(Http::Exchange ex, const QString &bucket, const QString &object);
    // A write's commit answered: the object's headers, or the error.
    void committed(Http::Exchange &ex, const Result<ObjectInfo> &info, const QString &jobId,
                   bool moved);
    // Checks bucket and object name (and, when writing, that the bucket takes writes); false
    // when it answered already.
    bool checkObject(Http::Exchange &ex, QString *bucket, QString *object, bool writing);
    // The checks of a write and the action its body carries (POST, DELETE); nullopt when it
    // answered already.
    std::optional<Api::ActMsg> checkAction(Http::Exchange &ex, QString *bucket, QString *object);

    TargetContext m_ctx;
    Hooks m_hooks;
    CopyRoutes m_copy;
    AppendRoutes m_append;
    CustomMdRoutes m_customMd;
    ArchiveRoutes m_archive;
    GetFromNeighbor m_gfn; // a local miss may sit on another target while objects move
};

} // namespace Kiln::Target
