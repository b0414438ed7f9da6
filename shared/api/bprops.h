#pragma once

#include "shared/core/result.h"

#include <QJsonObject>
#include <QString>

namespace Kiln::Api {

// AIS access bits (api/apc/access.go): a new bucket allows everything.
inline constexpr quint64 AccessAll = ~quint64(0);
// AIS's upper bound of mirror.copies (MirrorConf.Validate).
inline constexpr int MaxMirrorCopies = 32;

// AIS's slice count bounds for ec.data_slices and ec.parity_slices.
inline constexpr int EcMinSlices = 1;
inline constexpr int EcMaxSlices = 32;

// AIS's ECConf as a bucket carries it (service/ec does the slicing and rebuilding).
struct EcProps
{
    bool enabled = false;
    int dataSlices = 1;
    int paritySlices = 1;
    qint64 objsizeLimit = 256 * 1024; // smaller objects are replicated whole

    // Targets an enabled EC needs (AIS: the owner plus one per slice).
    int requiredTargets() const { return dataSlices + paritySlices + 1; }
};

// Properties of one ais:// bucket that Kiln stores and acts on. The rest of AIS's Bprops
// (LRU, chunks, rate limits, ...) keep AIS's defaults and cannot be changed here.
struct BucketProps
{
    QString name;
    quint64 bid = 0; // bucket id, unique within the cluster's lifetime
    qint64 createdNs = 0; // unix nanoseconds
    bool versioning = true; // new writes get versions 1, 2, ...
    bool validateWarmGetVersion = false; // versioning.validate_warm_get (remote buckets in AIS)
    bool synchronize = false; // versioning.synchronize (remote buckets in AIS)
    QString checksumType = QStringLiteral("xxhash2"); // AIS 5.0's default
    bool validateColdGet = false;
    bool validateWarmGet = false;
    bool validateObjMove = false;
    bool enableReadRange = false;
    quint64 access = AccessAll; // enforced once the security issue lands
    EcProps ec;
    QString renamingTo; // a move-bck is under way: the bucket takes no writes (AIS "Renamed")
    bool mirrorEnabled = false; // mirror.enabled: n-way mirroring across a target's mountpaths
    int mirrorCopies = 2; // mirror.copies (AIS's default; used only while enabled)
    int mirrorBurst = 0; // mirror.burst_buffer (kept for the wire; copies are made at once)

    // How many copies each object has on its target: mirror.copies when enabled, else 1.
    int effectiveCopies() const { return mirrorEnabled ? mirrorCopies : 1; }

    // The JSON AIS puts in the Ais-Bucket-Props header (the Go client parses it).
    QJsonObject toAisProps() const;
    QJsonObject toJson() const; // persisted form
    static BucketProps fromJson(const QJsonObject &json);

    // Applies AIS's BpropsToSet (set-bprops, create-bck with props): versioning, checksum,
    // access and the EC sizes. Other sections are refused with AIS's not-implemented error; unknown keys and
    // bad values with 400. Nothing changes when it fails.
    Result<void> apply(const QJsonObject &toSet);
    // reset-bprops: everything but name, bid and creation time back to the defaults.
    void reset();
};

} // namespace Kiln::Api
