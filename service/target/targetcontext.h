#pragma once

#include "shared/api/bmd.h"
#include "shared/api/names.h"
#include "shared/cluster/smap.h"
#include "shared/cluster/snode.h"
#include "shared/core/error.h"

class QNetworkAccessManager;

namespace Kiln::Etl {
class Communicator;
}

namespace Kiln::Target {

class ObjectDelivery;
class ObjectStore;

// What a target's route classes share: its store, its views of the cluster map and bucket
// metadata (kept current by TargetNode), its identity, and the ways out (delivery to other
// targets, the ETL communicator). References into TargetNode, which outlives the route classes.
struct TargetContext
{
    ObjectStore &store;
    const Cluster::Smap &smap;
    const Api::Bmd &bmd;
    const Cluster::Snode &self;
    QNetworkAccessManager &nam;
    Etl::Communicator &comm;
    ObjectDelivery &delivery;

    // "t[<id>]: ais://b/o does not exist", the 404 the SDK classifies as ErrObjNotFound (AIS
    // sends the Go type of the error, cos.ErrNotFound, as tcode).
    Error objectNotFound(const QString &bucket, const QString &object) const
    {
        return makeError(ErrorCode::NotFound,
                         QStringLiteral("%1: %2 does not exist")
                             .arg(self.tag(), Api::objectCname(bucket, object)),
                         QStringLiteral("ErrNotFound"));
    }
};

} // namespace Kiln::Target
