#pragma once

// Every wire name Kiln shares with AIStore, spelled as AIS spells it (see
// shared/reference/ais-rest-api.md). Nothing else in the code base writes these literals.

namespace Kiln::Api {

namespace Path {
inline constexpr char Version[] = "v1";
inline constexpr char Buckets[] = "buckets";
inline constexpr char Objects[] = "objects";
inline constexpr char Cluster[] = "cluster";
inline constexpr char Daemon[] = "daemon";
inline constexpr char Health[] = "health";
inline constexpr char Etl[] = "etl";
} // namespace Path

// Request paths, as the router matches them: {name} is one segment, {*name} the rest of the
// path. Api::routePath (routepath.h) fills them in for a request of one's own.
namespace Route {
inline constexpr char Health[] = "/v1/health";
inline constexpr char Daemon[] = "/v1/daemon";
inline constexpr char DaemonWhat[] = "/v1/daemon/{what}";
inline constexpr char DaemonSmap[] = "/v1/daemon/smap";
inline constexpr char DaemonBmd[] = "/v1/daemon/bmd";
inline constexpr char ReverseDaemon[] = "/v1/reverse/daemon";
inline constexpr char ReverseDaemonRest[] = "/v1/reverse/daemon/{*rest}";
inline constexpr char Cluster[] = "/v1/cluster";
inline constexpr char ClusterJoin[] = "/v1/cluster/join";
inline constexpr char ClusterKeepalive[] = "/v1/cluster/keepalive";
// AIS's self-remove (apc.ActSelfRemove): a node takes itself out of the map.
inline constexpr char ClusterDaemon[] = "/v1/cluster/daemon/{id}";
// Kiln's own (intra-cluster): a target that is stopping asks to be drained first.
inline constexpr char ClusterLeave[] = "/v1/cluster/leave";
inline constexpr char Buckets[] = "/v1/buckets";
inline constexpr char Bucket[] = "/v1/buckets/{bucket}";
inline constexpr char BucketPrefix[] = "/v1/buckets/{bucket}/{*prefix}";
inline constexpr char Object[] = "/v1/objects/{bucket}/{*object}";
inline constexpr char ObjectsOfBucket[] = "/v1/objects/{bucket}";
inline constexpr char Xactions[] = "/v1/xactions";
inline constexpr char Xaction[] = "/v1/xactions/{id}";
inline constexpr char XactionStart[] = "/v1/xactions/_start";
inline constexpr char XactionAbort[] = "/v1/xactions/{id}/_abort";
inline constexpr char XactionFailed[] = "/v1/xactions/{id}/_failed";
inline constexpr char XactionFinished[] = "/v1/xactions/{id}/_finished";
// Kiln's own (intra-cluster): a target's part of the global rebalance; GET reads it, DELETE stops it.
inline constexpr char TargetRebalance[] = "/v1/rebalance";
inline constexpr char TxnSummary[] = "/v1/txn/summary";
inline constexpr char TxnPromoteBegin[] = "/v1/txn/promote/{bucket}/begin";
inline constexpr char TxnPromoteCommit[] = "/v1/txn/promote/{bucket}/commit";
} // namespace Route

// Tails of /v1/etl/...: the public ones AIS serves, the seed-era aliases, and Kiln's
// intra-cluster calls from the proxy to the targets ("_..." never clashes with an ETL name).
namespace EtlPath {
inline constexpr char Init[] = "init";
inline constexpr char Build[] = "build";
inline constexpr char List[] = "list";
inline constexpr char Stop[] = "stop";
inline constexpr char Start[] = "start";
inline constexpr char Logs[] = "logs";
inline constexpr char Health[] = "health";
inline constexpr char Metrics[] = "metrics";
inline constexpr char Failed[] = "_failed";
inline constexpr char Begin[] = "_begin";
inline constexpr char TargetList[] = "_list";
inline constexpr char Object[] = "_object";
inline constexpr char Commit[] = "_commit";
inline constexpr char Abort[] = "_abort";
inline constexpr char TargetStop[] = "_stop";
inline constexpr char Delete[] = "_delete";
inline constexpr char Details[] = "_details";
// PUT /v1/daemon/etlmd: the proxy pushes the cluster's ETL metadata to a target.
inline constexpr char DaemonEtlMd[] = "etlmd";
} // namespace EtlPath

namespace Query {
inline constexpr char Provider[] = "provider";
inline constexpr char Namespace[] = "namespace";
inline constexpr char What[] = "what";
inline constexpr char ProxyId[] = "pid";
inline constexpr char UnixTime[] = "utm";
inline constexpr char Readiness[] = "readiness";
inline constexpr char PrimaryReady[] = "prr";
inline constexpr char Xid[] = "xid";
// Kiln's get-from-neighbor hops (not AIS's): a GET/HEAD a target redirected to the neighbor that
// holds the object, and the neighbor's redirect back to the owner when the copy moved meanwhile.
inline constexpr char GfnHop[] = "kiln_gfn";
inline constexpr char GfnBack[] = "kiln_gfn_back";
} // namespace Query

namespace What {
inline constexpr char Smap[] = "smap";
inline constexpr char Bmd[] = "bmd";
inline constexpr char NodeStatus[] = "node_status";
inline constexpr char NodeStats[] = "node_stats";
inline constexpr char SoftwareVersion[] = "software_version";
inline constexpr char Mountpaths[] = "mountpaths";
inline constexpr char Disk[] = "disk";
inline constexpr char Snode[] = "snode";
inline constexpr char ClusterConfig[] = "cluster_config";
inline constexpr char Backends[] = "backends";
// AIS apc.WhatMetricNames: a node's tracker names and their kinds (`ais show performance`).
inline constexpr char MetricNames[] = "metrics";
} // namespace What

namespace Action {
inline constexpr char CreateBucket[] = "create-bck";
inline constexpr char DestroyBucket[] = "destroy-bck";
inline constexpr char List[] = "list";
// PUT /v1/cluster (AIS apc.ActRebalance, ActStartMaintenance, ...; value ActValRmNode {"sid"}).
inline constexpr char Rebalance[] = "rebalance";
inline constexpr char StartMaintenance[] = "start-maintenance";
inline constexpr char StopMaintenance[] = "stop-maintenance";
inline constexpr char DecommissionNode[] = "decommission-node";
inline constexpr char ShutdownNode[] = "shutdown-node";
inline constexpr char Stop[] = "stop";
} // namespace Action

// The xaction kind of a global rebalance (AIS apc.ActRebalance).
inline constexpr char KindRebalance[] = "rebalance";

namespace Header {
inline constexpr char Error[] = "Hdr-Error";
inline constexpr char BucketProps[] = "Ais-Bucket-Props";
inline constexpr char ChecksumType[] = "Ais-Checksum-Type";
inline constexpr char ChecksumValue[] = "Ais-Checksum-Value";
inline constexpr char Atime[] = "Ais-Atime";
inline constexpr char Version[] = "Ais-Version";
inline constexpr char CustomMd[] = "Ais-Custom-Md";
inline constexpr char Present[] = "Ais-Present";
inline constexpr char Name[] = "Ais-Name";
inline constexpr char Location[] = "Ais-Location";
inline constexpr char BucketName[] = "Ais-Bucket-Name";
inline constexpr char BucketProvider[] = "Ais-Bucket-Provider";
inline constexpr char MirrorCopies[] = "Ais-Mirror-Copies";
inline constexpr char MirrorPaths[] = "Ais-Mirror-Paths";
inline constexpr char NodeUptime[] = "Ais-Node-Uptime";
inline constexpr char ClusterUptime[] = "Ais-Cluster-Uptime";
inline constexpr char NodeId[] = "Ais-Node-Id";
} // namespace Header

inline constexpr char ProviderAis[] = "ais";
// AIS 5.0's default checksum, "xxhash2" (cespare/xxhash): XXH64 with seed 0, the same digest
// its older "xxhash" (OneOfOne) gives, under the name 5.0 reports.
inline constexpr char ChecksumXxhash2[] = "xxhash2";
inline constexpr char MimeJson[] = "application/json";
inline constexpr char MimeMsgpack[] = "application/msgpack";
inline constexpr char MimeOctets[] = "application/octet-stream";
inline constexpr char MimeText[] = "text/plain; charset=utf-8";

// Largest page a list-objects call returns, as AIS caps it.
inline constexpr int MaxPageSize = 10000;

} // namespace Kiln::Api
