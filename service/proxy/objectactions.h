#pragma once

#include "shared/api/bmd.h"
#include "shared/cluster/smap.h"
#include "shared/core/result.h"

#include <QObject>

#include <functional>

class QNetworkAccessManager;

namespace Kiln::Http {
class Exchange;
class Router;
struct Request;
} // namespace Kiln::Http
namespace Kiln::Node {
struct IntraReply;
}

namespace Kiln::Proxy {

// The proxy's side of AIS's object actions beyond GET/HEAD/DELETE: PUT in all its forms
// (write, copy, transform-copy, append, flush: redirected to the target that owns the object,
// or that an append handle names), POST (rename-obj and the other per-object actions:
// validated, then redirected), PATCH (custom metadata: redirected) and promote (POST
// /v1/objects/<bucket>: two phases on the targets). Never touches object data. Lives on the
// proxy's main thread.
class ObjectActions final : public QObject
{
    Q_OBJECT
public:
    struct Deps
    {
        const Cluster::Smap &smap;
        const Api::Bmd &bmd;
        const Cluster::Snode &self;
        QNetworkAccessManager &nam;
        std::function<bool(const QString &etlName)> etlExists;
        QString promoteRoot;
    };
    explicit ObjectActions(Deps deps, QObject *parent = nullptr);

    void registerRoutes(Http::Router &router);
    // AIS redirects GET with 301, the others with 307 (which keeps method and body); the
    // target gets the request's path and query plus pid and utm.
    void redirect(Http::Exchange &ex, const Cluster::Snode &target, int status) const;
    void put(Http::Exchange ex, const QString &bucket, const QString &object);

    // An intra-cluster reply as the error it carries (a target's AIS error body).
    static Error errorOf(const Node::IntraReply &reply);

private:
    void onPost(Http::Exchange ex);
    void onPatch(Http::Exchange ex);
    void onPromote(Http::Exchange ex);
    void commitPromote(Http::Exchange ex, const QString &bucket, const QByteArray &body,
                       const QList<Cluster::Snode> &targets, bool fileShare);
    bool checkObject(Http::Exchange &ex, QString *bucket, QString *object);
    const Cluster::Snode *owner(Http::Exchange &ex, const QString &bucket, const QString &object);

    Deps m_deps;
};

} // namespace Kiln::Proxy
