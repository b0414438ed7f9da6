#include "service/ec/ecprops.h"

#include "shared/api/names.h"

namespace Kiln::Ec {

Result<void> checkTargets(const Api::BucketProps &props, qsizetype targets)
{
    if (!props.ec.enabled || targets >= props.ec.requiredTargets())
        return {};
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("%1: erasure coding with %2 data and %3 parity slices needs "
                                    "at least %4 targets (the cluster has %5)")
                         .arg(Api::bucketCname(props.name))
                         .arg(props.ec.dataSlices)
                         .arg(props.ec.paritySlices)
                         .arg(props.ec.requiredTargets())
                         .arg(targets),
                     QStringLiteral("ErrNotEnoughTargets"));
}

} // namespace Kiln::Ec
