#pragma once

#include "service/etl/communicator.h"

#include <QStringList>

namespace Kiln::Etl {

// What one object goes through: an ETL (job.etlName, with job.etlArgs) and, once pipelines
// exist, the ETLs after it.
struct ObjectTransform
{
    TransformJob job;
    QStringList pipeline; // etl_pipeline / "a>>b": the stages after job.etlName
};

// The one step every caller that needs "the transformed bytes of this object" goes through
// (transform-copy of one object today): answers through done exactly once, as
// Communicator::transform does. A pipeline is refused with AIS's not-implemented error until
// pipelines land here.
void transformObject(Communicator &comm, const ObjectTransform &what, QObject *context,
                     Communicator::Done done);

} // namespace Kiln::Etl
