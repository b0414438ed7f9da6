#pragma once

#include "shared/api/bprops.h"
#include "shared/core/result.h"

namespace Kiln::Ec {

// AIS's job that erasure codes a bucket's objects once ec.enabled is set.
inline constexpr char KindEcEncode[] = "ec-encode";

// The proxy's check of EC props against the cluster (AIS's ECConf.ValidateAsProps): enabled EC
// needs the owner plus a target per slice. A 400 with AIS's error body otherwise.
Result<void> checkTargets(const Api::BucketProps &props, qsizetype targets);

} // namespace Kiln::Ec
