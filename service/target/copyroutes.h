#pragma once

#include "service/target/targetcontext.h"
#include "shared/api/writeform.h"

#include <QObject>

namespace Kiln::Http {
class Exchange;
}

namespace Kiln::Target {

struct ObjectInfo;

// Copies of one object made by its own target: AIS's copy (PUT ?object_to=<uname>), its
// transform-copy (the same with etl_name: the source through the ETL into the destination) and
// rename (POST {"action":"rename-obj"}: a copy under the new name, then the old one goes). The
// destination lands on the target that owns it; the source is only read. Lives on the target's
// main thread.
class CopyRoutes final : public QObject
{
    Q_OBJECT
public:
    explicit CopyRoutes(TargetContext ctx, QObject *parent = nullptr);

    void copy(Http::Exchange ex, const QString &bucket, const QString &object,
              const Api::PutRequest &req);
    void rename(Http::Exchange ex, const QString &bucket, const QString &object,
                const QString &newName);

private:
    void transformCopy(Http::Exchange ex, const ObjectInfo &src, const Api::ObjectRef &dst,
                       const QString &etlName);

    TargetContext m_ctx;
};

} // namespace Kiln::Target
