#include "service/runtime/runtimefactory.h"

#include "service/runtime/localruntime.h"
#include "shared/core/logging.h"

namespace Kiln::Runtime {

std::unique_ptr<Runtime> makeRuntime(const Node::NodeConfig &config)
{
    if (config.etlRuntime != QLatin1String("local"))
        Log::runtime().error("etl.runtime \"{}\" is unknown; using the local runtime",
                             config.etlRuntime);
    return std::make_unique<LocalRuntime>(
        LocalRuntimeConfig{config.python, config.effectiveVenvDir()});
}

} // namespace Kiln::Runtime
