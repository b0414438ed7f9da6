#pragma once

#include "service/target/objectinfo.h"
#include "service/target/targetcontext.h"

#include <QHash>
#include <QObject>
#include <QStringList>

#include <functional>

namespace Kiln::Http {
class Exchange;
class Router;
} // namespace Kiln::Http
namespace Kiln::Xact {
class OfflineJob;
}

namespace Kiln::Target {

// Offline transform jobs on a target: start, abort and report, for the proxy, which hears back
// when a job fails or finishes here. Keeps the newest jobs for status queries. Lives on the
// target's main thread.
class JobRoutes final : public QObject
{
    Q_OBJECT
public:
    // proxy: where failures and completions are reported (TargetNode keeps it current).
    JobRoutes(TargetContext ctx, const Cluster::Snode &proxy, QObject *parent = nullptr);

    void registerRoutes(Http::Router &router);
    // A job's result another target stored here: that job's "in" on this target.
    void countIncoming(const QString &jobId, qint64 bytes);
    // How ec-encode jobs encode one object (see Xact::OfflineJob::Deps::ecEncode).
    using EcEncode = std::function<void(const ObjectInfo &, QObject *context,
                                        std::function<void(bool)> done)>;
    void setEcEncode(EcEncode encode)
    {
        m_ecEncode = std::move(encode);
    }

private:
    void onStart(Http::Exchange ex);
    void onAbort(Http::Exchange ex);
    void onGet(Http::Exchange ex);
    void onList(Http::Exchange ex);
    void report(const char *route, const QString &id, QByteArray body, QByteArray contentType);
    void keep(const QString &id, Xact::OfflineJob *job);

    TargetContext m_ctx;
    const Cluster::Snode &m_proxy;
    QHash<QString, Xact::OfflineJob *> m_jobs; // children; the newest MaxJobs kept
    QStringList m_jobOrder;
    EcEncode m_ecEncode; // for ec-encode jobs (TargetNode sets it)
};

} // namespace Kiln::Target
