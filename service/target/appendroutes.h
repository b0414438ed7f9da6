#pragma once

#include "service/target/appendsessions.h"
#include "service/target/targetcontext.h"
#include "shared/api/writeform.h"

#include <QObject>

namespace Kiln::Http {
class Exchange;
}

namespace Kiln::Target {

// AIS's append protocol over PUT: ?append_type=append streams a part into the session the
// handle names (a new one without a handle) and answers the handle in Ais-Append-Handle;
// ?append_type=flush commits the session, checking Ais-Checksum-Type/-Value when sent. The
// object changes only at a successful flush. Lives on the target's main thread.
class AppendRoutes final : public QObject
{
    Q_OBJECT
public:
    explicit AppendRoutes(TargetContext ctx, QObject *parent = nullptr);

    void append(Http::Exchange ex, const QString &bucket, const QString &object,
                const Api::PutRequest &req);
    void flush(Http::Exchange ex, const QString &bucket, const QString &object,
               const Api::PutRequest &req);

private:
    TargetContext m_ctx;
    AppendSessions m_sessions;
};

} // namespace Kiln::Target
