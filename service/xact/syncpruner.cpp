#include "service/xact/syncpruner.h"

#include "service/node/intracall.h"
#include "service/target/objectstore.h"
#include "shared/api/names.h"
#include "shared/cluster/hrw.h"
#include "shared/cluster/smap.h"
#include "shared/core/logging.h"
#include "shared/core/whenready.h"

#include <QUrl>

namespace Kiln::Xact {

SyncPruner::SyncPruner(Deps deps, QString srcBucket, QString dstBucket, QString prefix,
                       QObject *parent)
    : QObject(parent)
    , m_deps(std::move(deps))
    , m_src(std::move(srcBucket))
    , m_dst(std::move(dstBucket))
    , m_prefix(std::move(prefix))
{ }

void SyncPruner::start(std::function<void(Result<int>)> done)
{
    m_done = std::move(done);
    whenReady(m_deps.store->walk(m_dst, m_prefix), this,
              [this](const Result<QList<Target::ObjectInfo>> &listed) {
                  if (!listed)
                      return m_done(listed.error());
                  for (const Target::ObjectInfo &o : *listed)
                      m_todo.push_back(o);
                  next();
              });
}

void SyncPruner::next()
{
    while (!m_todo.empty()) {
        const Target::ObjectInfo dst = m_todo.front();
        m_todo.pop_front();
        const Cluster::Snode *owner
            = Cluster::hrwTarget(*m_deps.smap, Cluster::objectUname(m_src, dst.name));
        if (!owner || owner->id == m_deps.self.id) {
            if (!m_deps.store->stat(m_src, dst.name))
                sourceMissing(dst);
            continue;
        }
        const Node::IntraRequest head{
            "HEAD",
            QStringLiteral("/v1/objects/%1/%2?provider=ais")
                .arg(QString::fromUtf8(QUrl::toPercentEncoding(m_src)),
                     QString::fromUtf8(QUrl::toPercentEncoding(dst.name, "/"))),
            {},
            {},
            30000};
        Node::callNode(*m_deps.nam, *owner, head, this, [this, dst](const Node::IntraReply &r) {
            if (r.status == 404)
                sourceMissing(dst);
            else if (!r.ok())
                return m_done(makeError(ErrorCode::Unavailable,
                                        QStringLiteral("synchronize: cannot tell whether %1 "
                                                       "exists (target %2: %3)")
                                            .arg(Api::objectCname(m_src, dst.name), r.node.id,
                                                 r.status ? QString::number(r.status) : r.error)));
            next();
        });
        return;
    }
    m_done(m_removed);
}

void SyncPruner::sourceMissing(const Target::ObjectInfo &dst)
{
    if (auto removed = m_deps.store->remove(m_dst, dst.name); removed) {
        ++m_removed;
        Log::store().debug("synchronize: removed {} (gone from {})",
                           Api::objectCname(m_dst, dst.name), Api::bucketCname(m_src));
    }
}

} // namespace Kiln::Xact
