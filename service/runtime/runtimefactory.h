#pragma once

#include "service/node/nodeconfig.h"
#include "service/runtime/imagecatalogue.h"
#include "service/runtime/instance.h"
#include "service/runtime/sandbox.h"

#include <memory>

namespace Kiln::Runtime {

// The runtime a target runs its ETL instances with, as its config chooses (etl.runtime).
// NodeConfig::validate() has rejected names this build does not know; one that slips through
// gets the local runtime and an error in the log.
// etl.images of the config as catalogue rules (origin "config").
QList<ImageRule> userImageRules(const Node::NodeConfig &config);
// etl.sandbox, and what it hides: the target's data, mountpaths, promote folder, TLS key and
// /etc/kiln.
SandboxConfig sandboxConfig(const Node::NodeConfig &config);

std::unique_ptr<Runtime> makeRuntime(const Node::NodeConfig &config);

} // namespace Kiln::Runtime
