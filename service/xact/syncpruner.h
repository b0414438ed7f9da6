#pragma once

#include "service/target/objectinfo.h"
#include "shared/cluster/snode.h"
#include "shared/core/result.h"

#include <QObject>

#include <deque>
#include <functional>

class QNetworkAccessManager;

namespace Kiln::Cluster {
class Smap;
}
namespace Kiln::Target {
class ObjectStore;
}

namespace Kiln::Xact {

// The second half of a synchronizing bucket copy (copy-bck with "synchronize"): removes this
// target's destination objects (below the prefix) whose source no longer exists anywhere in the
// cluster, so the destination ends up with the source's names. A source is looked up on the
// target that owns it (HEAD for another). Lives on the target's main thread.
class SyncPruner final : public QObject
{
    Q_OBJECT
public:
    struct Deps
    {
        Target::ObjectStore *store = nullptr;
        QNetworkAccessManager *nam = nullptr;
        const Cluster::Smap *smap = nullptr;
        Cluster::Snode self;
    };
    SyncPruner(Deps deps, QString srcBucket, QString dstBucket, QString prefix,
               QObject *parent = nullptr);

    // done(removed objects, or the first error); called once.
    void start(std::function<void(Result<int>)> done);

private:
    void next();
    void sourceMissing(const Target::ObjectInfo &dst);

    Deps m_deps;
    QString m_src, m_dst, m_prefix;
    std::deque<Target::ObjectInfo> m_todo;
    int m_removed = 0;
    std::function<void(Result<int>)> m_done;
};

} // namespace Kiln::Xact
