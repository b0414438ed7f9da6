#pragma once

#include "service/cluster/clustersupervisor.h"
#include "service/node/nodeconfig.h"
#include "shared/core/result.h"

#include <QStringList>

namespace Kiln::Node {

// What `kilnd ...` was asked to do.
struct Command
{
    enum class Kind { Proxy, Target, Cluster, Images, Authn, Help, Version };
    Kind kind = Kind::Help;
    NodeConfig node; // proxy, target; authn: data, host, port and the auth secret
    Cluster::ClusterOptions cluster; // cluster
    QString helpText;
};

// Parses kilnd's arguments (argv[0] included). Every bad flag or value is an error that says
// which and why; --help and --version come back as their own kinds.
Result<Command> parseCommandLine(const QStringList &arguments);

} // namespace Kiln::Node
