#pragma once

#include <QString>
#include <QtGlobal>

namespace Kiln::Auth {

// AIS's access permissions (apc.AccessAttrs): one bit each, in AIS's order, so that the "perm"
// numbers of AuthN's roles and tokens mean the same here.
using AccessAttrs = quint64;

namespace Ace {
// object
inline constexpr AccessAttrs Get = 1ULL << 0;
inline constexpr AccessAttrs ObjHead = 1ULL << 1;
inline constexpr AccessAttrs Put = 1ULL << 2;
inline constexpr AccessAttrs Append = 1ULL << 3;
inline constexpr AccessAttrs ObjDelete = 1ULL << 4;
inline constexpr AccessAttrs ObjMove = 1ULL << 5;
inline constexpr AccessAttrs Promote = 1ULL << 6;
inline constexpr AccessAttrs ObjUpdate = 1ULL << 7;
// bucket
inline constexpr AccessAttrs BckHead = 1ULL << 8;
inline constexpr AccessAttrs ObjList = 1ULL << 9;
inline constexpr AccessAttrs Patch = 1ULL << 10;
inline constexpr AccessAttrs BckSetAcl = 1ULL << 11;
// cluster
inline constexpr AccessAttrs ListBuckets = 1ULL << 12;
inline constexpr AccessAttrs ShowCluster = 1ULL << 13;
inline constexpr AccessAttrs CreateBucket = 1ULL << 14;
inline constexpr AccessAttrs DestroyBucket = 1ULL << 15;
inline constexpr AccessAttrs MoveBucket = 1ULL << 16;
inline constexpr AccessAttrs Admin = 1ULL << 17;
} // namespace Ace

// AIS's derived sets ("ro", "rw", "su", ...).
namespace Access {
inline constexpr AccessAttrs None = 0;
inline constexpr AccessAttrs All = ~0ULL;
inline constexpr AccessAttrs RO = Ace::Get | Ace::ObjHead | Ace::BckHead | Ace::ObjList;
inline constexpr AccessAttrs RW = RO | Ace::Put | Ace::Append | Ace::ObjDelete | Ace::ObjMove;
inline constexpr AccessAttrs BucketAdmin = Ace::Patch | Ace::BckSetAcl | Ace::ObjUpdate;
inline constexpr AccessAttrs ClusterRO = Ace::ListBuckets | Ace::ShowCluster;
inline constexpr AccessAttrs ClusterRW
    = ClusterRO | Ace::CreateBucket | Ace::DestroyBucket | Ace::MoveBucket;
} // namespace Access

inline bool has(AccessAttrs granted, AccessAttrs wanted)
{
    return (granted & wanted) == wanted;
}

// The operation names AIS prints ("GET,HEAD-OBJECT,..."), "none" for no bit.
QString describeAccess(AccessAttrs access);
// AIS's names back to bits: "ro", "rw", "su", or one operation name ("PUT", "ADMIN", ...);
// false for an unknown name.
bool accessFromString(const QString &name, AccessAttrs *out);

} // namespace Kiln::Auth
