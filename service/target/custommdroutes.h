#pragma once

#include "service/target/objectinfo.h"
#include "service/target/targetcontext.h"

#include <QObject>

namespace Kiln::Http {
class Exchange;
}

namespace Kiln::Target {

// AIS's set-custom: PATCH /v1/objects/<bucket>/<object> with {"value": {"key": "value", ...}}
// adds or updates custom metadata keys (all of them replaced with ?set-new-custom=true). The
// object's bytes, checksum and version stay as they are. Lives on the target's main thread.
class CustomMdRoutes final : public QObject
{
    Q_OBJECT
public:
    explicit CustomMdRoutes(TargetContext ctx, QObject *parent = nullptr);

    void patch(Http::Exchange ex, const QString &bucket, const QString &object);

private:
    TargetContext m_ctx;
};

// AIS's limits on custom metadata (cmn.ValidateCustomMD): non-empty keys, no reserved bytes
// (0x01 and the record separator), at most 2 KiB of keys and values together.
Result<void> validateCustomMd(const CustomMd &custom);

} // namespace Kiln::Target
