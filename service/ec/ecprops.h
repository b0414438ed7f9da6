#pragma once

#include "shared/api/bprops.h"
#include "shared/core/result.h"

namespace Kiln::Ec {

// The proxy's check of EC props against the cluster (AIS's ECConf.ValidateAsProps): enabled EC
// needs the owner plus a target per slice. A 400 with AIS's error body otherwise.
Result<void> checkTargets(const Api::BucketProps &props, qsizetype targets);

} // namespace Kiln::Ec
