#include "service/auth/access.h"

#include <QStringList>

#include <array>
#include <utility>

namespace Kiln::Auth {
namespace {

using Named = std::pair<AccessAttrs, const char *>;

// In bit order, as AIS describes them.
constexpr std::array<Named, 18> Names{{
    {Ace::Get, "GET"},
    {Ace::ObjHead, "HEAD-OBJECT"},
    {Ace::Put, "PUT"},
    {Ace::Append, "APPEND"},
    {Ace::ObjDelete, "DELETE-OBJECT"},
    {Ace::ObjMove, "MOVE-OBJECT"},
    {Ace::Promote, "PROMOTE"},
    {Ace::ObjUpdate, "UPDATE-OBJECT"},
    {Ace::BckHead, "HEAD-BUCKET"},
    {Ace::ObjList, "LIST-OBJECTS"},
    {Ace::Patch, "PATCH"},
    {Ace::BckSetAcl, "SET-BUCKET-ACL"},
    {Ace::ListBuckets, "LIST-BUCKETS"},
    {Ace::ShowCluster, "SHOW-CLUSTER"},
    {Ace::CreateBucket, "CREATE-BUCKET"},
    {Ace::DestroyBucket, "DESTROY-BUCKET"},
    {Ace::MoveBucket, "MOVE-BUCKET"},
    {Ace::Admin, "ADMIN"},
}};

} // namespace

QString describeAccess(AccessAttrs access)
{
    if (access == 0)
        return QStringLiteral("none");
    QStringList names;
    for (const auto &[bit, name] : Names) {
        if (access & bit)
            names << QString::fromLatin1(name);
    }
    return names.join(',');
}

bool accessFromString(const QString &name, AccessAttrs *out)
{
    if (name == QLatin1String("ro")) {
        *out = Access::RO;
        return true;
    }
    if (name == QLatin1String("rw")) {
        *out = Access::RW;
        return true;
    }
    if (name == QLatin1String("su")) {
        *out = Access::All;
        return true;
    }
    for (const auto &[bit, text] : Names) {
        if (name == QLatin1String(text)) {
            *out = bit;
            return true;
        }
    }
    return false;
}

} // namespace Kiln::Auth
