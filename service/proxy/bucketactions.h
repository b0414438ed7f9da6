#pragma once

#include "shared/api/bmd.h"
#include "shared/cluster/smap.h"

#include <QObject>

#include <functional>

class QNetworkAccessManager;

namespace Kiln::Http {
class Exchange;
class Router;
} // namespace Kiln::Http
namespace Kiln::Api {
struct ActMsg;
}
namespace Kiln::Xact {
struct JobSpec;
}

namespace Kiln::Proxy {

class JobControl;

// The proxy's bucket actions beyond create, list and destroy: copy-bck (a job over the AIS job
// API, with prefix, prepend, extension remap, dry run and synchronize), copy-listrange (the
// same over a list or template of names, or a prefix), move-bck (a job that
// copies every object to the new name, then drops the old bucket), and bucket props (PATCH
// set-bprops / reset-bprops). Lives on the proxy's main thread.
class BucketActions final : public QObject
{
    Q_OBJECT
public:
    struct Deps
    {
        Api::Bmd &bmd;
        JobControl &jobs;
        QNetworkAccessManager &nam; // mirror.copies is checked with the targets
        const Cluster::Smap &smap;
        // Persists the bucket metadata and pushes it to every target, then calls back.
        std::function<void(std::function<void()>)> bmdUpdated;
    };
    explicit BucketActions(Deps deps, QObject *parent = nullptr);

    void registerRoutes(Http::Router &router);
    // POST /v1/buckets/<bucket> with copy-bck or move-bck; false for other actions.
    bool post(Http::Exchange &ex, const QString &bucket, const Api::ActMsg &act);

private:
    void copyBucket(Http::Exchange ex, const QString &bucket, const Api::ActMsg &act);
    void copyObjects(Http::Exchange ex, const QString &bucket, const Api::ActMsg &act);
    void startCreating(Http::Exchange ex, const Xact::JobSpec &spec, const QString &source);
    void moveBucket(Http::Exchange ex, const QString &bucket);
    void onPatch(Http::Exchange ex);
    // Sets props once the targets can hold them; a change of mirror.copies starts make-n-copies,
    // enabling EC starts ec-encode.
    void changeProps(Http::Exchange ex, const QString &bucket, const QString &action,
                     const QJsonObject &toSet);
    void propsChanged(Http::Exchange ex, const QString &bucket, const QString &action,
                      int copiesBefore, bool ecBefore);

    Deps m_deps;
};

} // namespace Kiln::Proxy
