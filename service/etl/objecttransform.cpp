#include "service/etl/objecttransform.h"

#include "shared/api/names.h"
#include "shared/api/writeform.h"

namespace Kiln::Etl {

void transformObject(Communicator &comm, const ObjectTransform &what, QObject *context,
                     Communicator::Done done)
{
    if (!what.pipeline.isEmpty()) {
        const Error e = Api::notImplemented(
            QStringLiteral("transform through the pipeline %1>>%2 of")
                .arg(what.job.etlName, what.pipeline.join(QStringLiteral(">>"))),
            Api::objectCname(what.job.bucket, what.job.object));
        return done(nullptr, 501, e);
    }
    comm.transform(what.job, context, std::move(done));
}

} // namespace Kiln::Etl
