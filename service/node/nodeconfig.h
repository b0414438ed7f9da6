#pragma once

#include "shared/core/result.h"

#include <QString>
#include <QStringList>

#include <chrono>

namespace Kiln::Node {

// etl.images: one user mapping from an image name or glob to a local command.
struct ImageMapping
{
    QString image; // "team/tokenizer", "team/*:v2"; no tag = any tag
    QStringList command; // e.g. [python3, /srv/tok/server.py, --port, $(PORT)]
};

enum class Role { Proxy, Target };

// Everything one kilnd proxy or target process is configured with. Defaults first, then the
// YAML file (--config), then command-line flags; validate() states every problem it finds.
struct NodeConfig
{
    Role role = Role::Proxy;
    QString id; // empty: generated once and kept in <data_dir>/node.id
    QString host = QStringLiteral("127.0.0.1");
    int port = -1; // -1: role default (proxy 8080, target 0 = any free port)
    // Threads that serve HTTP: the main one and httpThreads - 1 workers (targets serve plain
    // object reads on them, service/http/serverworkers.h); 0: one per core.
    int httpThreads = 0;
    QString dataDir;
    QStringList mountpaths; // target; default <data_dir>/mp1
    QString proxyUrl; // target: the primary proxy, e.g. http://127.0.0.1:8080
    // The only folder `promote` takes files from (AIS: /var/lib/ais/promote); default
    // <data_dir>/promote. `kilnd cluster` gives every node <cluster data>/promote.
    QString promoteRoot;
    std::chrono::milliseconds keepaliveInterval{1000};
    std::chrono::milliseconds keepaliveTimeout{5000};
    QStringList logLevels; // "info", "http=debug", ...
    // ETL runtime (targets): local, kubernetes, or auto (kubernetes when kilnd runs in a pod
    // with a service account, local otherwise); where shared Python venvs live, the interpreter.
    QString etlRuntime = QStringLiteral("auto");
    QString kubeconfig; // kubernetes: a kubeconfig file; empty: the in-cluster service account
    QString kubeNamespace; // kubernetes: overrides the kubeconfig's / service account's namespace
    QString nodeName; // kubernetes: the target's node; empty: K8S_NODE_NAME, then HOSTNAME
    QString venvDir; // default: $XDG_CACHE_HOME/kiln/venvs
    QString python = QStringLiteral("python3");
    // Container engine for images with no local implementation: off, auto (docker, then
    // podman), docker or podman. imageRuntime "container" runs every image ETL in it.
    QString containers = QStringLiteral("auto");
    QString imageRuntime = QStringLiteral("local");
    QList<ImageMapping> images;
    // Local ETL processes run under bubblewrap (service/runtime/sandbox); off for development.
    bool etlSandbox = true;
    // Auth (AIS AuthN tokens, service/auth): off by default. The secret signs and checks
    // tokens (HS256); from auth.secret, auth.secret_file, or $KILN_AUTH_SECRET.
    bool authEnabled = false;
    QString authSecret;
    // TLS (HTTPS for clients and between nodes): PEM files. With cert and key the node serves
    // HTTPS and every node URL is https; ca is trusted for calls to other nodes.
    QString tlsCert;
    QString tlsKey;
    QString tlsCa;
    QString tlsClientCa; // mutual TLS: clients must show a certificate this CA signed

    quint16 effectivePort() const;
    QStringList effectiveMountpaths() const;
    QString effectiveVenvDir() const;
    QString effectivePromoteRoot() const;
    // "local" or "kubernetes": auto resolved (see KubeConfig::inClusterAvailable()).
    QString effectiveEtlRuntime() const;

    // Merges a YAML config file into this config.
    Result<void> loadYaml(const QString &path);
    Result<void> validate() const;
};

// The default data folder: $XDG_DATA_HOME/kiln (or ~/.local/share/kiln).
QString defaultDataDir();

// Reads <data_dir>/node.id, or creates it with a fresh random id.
Result<QString> loadOrCreateNodeId(const QString &dataDir);

} // namespace Kiln::Node
