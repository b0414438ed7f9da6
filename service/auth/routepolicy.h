#pragma once

#include "service/auth/access.h"
#include "service/auth/claims.h"
#include "service/http/request.h"

#include <QHash>
#include <QList>
#include <QStringList>

#include <functional>
#include <optional>

namespace Kiln::Auth {

// One permission a request needs: on a bucket, or (no bucket) on the cluster.
struct Need
{
    AccessAttrs access = 0;
    std::optional<BucketRef> bucket;
};

// What a request needs to be served: nothing (open routes such as /v1/health), or each Need.
struct Requirement
{
    bool open = false;
    QList<Need> needs;

    static Requirement none() { return Requirement{true, {}}; }
    static Requirement cluster(AccessAttrs access) { return Requirement{false, {Need{access, {}}}}; }
    static Requirement bucket(AccessAttrs access, const BucketRef &bck)
    {
        return Requirement{false, {Need{access, bck}}};
    }
};

// A routed request as the policy sees it: the route's pattern segments ("v1", "objects",
// "{bucket}", ...), the request, its path parameters and its buffered body (empty on streaming
// routes, which need no body to be classified).
struct RouteCall
{
    const QStringList &pattern;
    const Http::Request &request;
    const Http::Params &params;
    const QByteArray &body;

    // The segment after /v1; a route outside /v1 (/metrics) is its own family.
    QString family() const
    {
        if (pattern.size() == 1)
            return pattern.at(0);
        return pattern.size() > 1 ? pattern.at(1) : QString();
    }
    BucketRef bucket() const;
};

// The permissions of every route family (objects, buckets, etl, cluster and the other control
// routes), in one table keyed by the family, i.e. the path segment after /v1. A route of a
// family the table does not know needs admin: new routes are closed until someone classifies
// them here. The same table serves the proxy and the targets.
class RoutePolicy final
{
public:
    using Rule = std::function<Requirement(const RouteCall &)>;

    // The AIS-compatible table (see docs/security.md).
    static RoutePolicy standard();

    void setRule(const QString &family, Rule rule) { m_rules.insert(family, std::move(rule)); }
    Requirement required(const RouteCall &call) const;

private:
    QHash<QString, Rule> m_rules;
};

} // namespace Kiln::Auth
