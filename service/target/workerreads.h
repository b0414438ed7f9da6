#pragma once

#include "service/http/request.h"
#include "service/target/objectinfo.h"
#include "shared/api/bmd.h"
#include "shared/core/snapshot.h"

#include <QString>

#include <optional>

namespace Kiln::Http {
class Exchange;
class Router;
} // namespace Kiln::Http

namespace Kiln::Target {

class ObjectStore;

// A target's object GET and HEAD on the HTTP worker threads (Http::ServerWorkers): the reads
// of an object stored here, in a bucket of the BMD, not mirrored, asked for with no ETL, archive
// or other option. Everything else (a miss, which may mean get-from-neighbour or an EC rebuild;
// an inline transform; a mirrored bucket; a parameter it does not know) passes home to
// ObjectRoutes on the node's thread, so the answers are the same wherever a request lands.
// It reads only what is safe from any thread: the store's stat, open and settings, the BMD
// snapshot, and the node's tag (fixed once the node listens).
class WorkerReads final
{
public:
    WorkerReads(const ObjectStore &store, const Snapshot<Api::Bmd> &bmd, QString selfTag);

    void registerRoutes(Http::Router &router) const;

private:
    void onGet(Http::Exchange ex) const;
    void onHead(Http::Exchange ex) const;
    // A read this thread may answer (RouteOptions::accepts), before the object is looked up.
    bool isPlainRead(const Http::Request &req, const Http::Params &params) const;
    // The object when this thread may answer for it; nullopt once passed home.
    std::optional<ObjectInfo> plainObject(Http::Exchange &ex) const;

    const ObjectStore &m_store;
    const Snapshot<Api::Bmd> &m_bmd;
    const QString m_selfTag;
};

} // namespace Kiln::Target
