#pragma once

#include <QByteArray>
#include <QString>

#include <cstdint>

namespace Kiln::Cluster {

class Smap;
struct Snode;

// Seed AIS uses for both object and node digests (a classic LCG multiplier).
constexpr quint64 HrwSeed = 1103515245;

// xxhash64 of the object's uname ("ais/@#/bucket/object") with HrwSeed.
quint64 nameDigest(const QByteArray &uname);
// The node's published id_digest: xxhash64 of its id, top bit cleared so it travels as an exact
// JSON integer (Qt's JSON and many clients stop at int64); HRW only needs every party to use
// the published value, which the AIS SDK does.
quint64 nodeIdDigest(const QString &id);
// The splitmix/xoshiro-style finalizer AIS applies to (node digest XOR name digest).
quint64 hrwMix(quint64 x);
// Bucket-and-object uname as AIS spells it for placement.
QByteArray objectUname(const QString &bucket, const QString &object);

// Rendezvous hashing: the target with the highest mixed weight owns the name. Targets in
// maintenance are skipped. Returns nullptr when the map has no eligible target.
const Snode *hrwTarget(const Smap &smap, const QByteArray &uname);

} // namespace Kiln::Cluster
