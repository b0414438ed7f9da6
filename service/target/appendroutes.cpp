#include "service/target/appendroutes.h"

#include "service/http/exchange.h"
#include "service/target/objectwriter.h"
#include "shared/api/objectwire.h"
#include "shared/api/wire.h"
#include "shared/core/logging.h"
#include "shared/core/whenready.h"

#include <memory>

namespace Kiln::Target {

AppendRoutes::AppendRoutes(TargetContext ctx, QObject *parent)
    : QObject(parent)
    , m_ctx(ctx)
    , m_sessions(ctx.store, ctx.self, this)
{ }

void AppendRoutes::append(Http::Exchange ex, const QString &bucket, const QString &object,
                          const Api::PutRequest &req)
{
    auto opened = m_sessions.open(bucket, object, req.appendHandle);
    if (!opened)
        return ex.fail(opened.error());
    AppendSession *session = *opened;
    session->busy = true;
    const QString token = session->token;
    // The part lands after what the session holds; a part cut short ends the session, so the
    // object (untouched until a flush) never gets a torn part.
    auto offset = std::make_shared<qint64>(session->writer->bytesWritten());
    auto failed = std::make_shared<bool>(false);
    Http::BodyReader reader;
    reader.onData
        = [this, ex, session, offset, failed, token](const char *data, qsizetype size) mutable {
              if (auto written = session->writer->writeAt(*offset, data, size); !written) {
                  *failed = true;
                  m_sessions.drop(token);
                  ex.fail(written.error());
                  return false;
              }
              *offset += size;
              return true;
          };
    reader.onEnd = [this, ex, session, failed]() mutable {
        if (*failed)
            return;
        session->busy = false;
        session->idle.restart();
        ex.respond(200, {}, {},
                   {{Api::Header::AppendHandle, m_sessions.handleOf(*session).toUtf8()}});
    };
    reader.onAbort = [this, failed, token]() {
        if (!*failed)
            m_sessions.drop(token);
    };
    ex.readBody(std::move(reader));
}

void AppendRoutes::flush(Http::Exchange ex, const QString &bucket, const QString &object,
                         const Api::PutRequest &req)
{
    // AIS prints its empty handle struct (Go's %+v) in this message.
    if (req.appendHandle.isEmpty())
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("failed to finalize append-file operation: empty "
                                                "source in the {partialCksum:<nil> nodeID: "
                                                "workFQN:} handle")));
    auto opened = m_sessions.open(bucket, object, req.appendHandle);
    if (!opened)
        return ex.fail(opened.error());
    const ExpectedChecksum expected{
        QString::fromLatin1(ex.request().header("ais-checksum-type")).toLower(),
        QString::fromLatin1(ex.request().header("ais-checksum-value"))};
    const QString cname = Api::objectCname(bucket, object);
    m_sessions.flush(*opened, expected, [ex, cname](const Result<ObjectInfo> &info) mutable {
        if (!info)
            return ex.fail(info.error());
        Log::store().debug("append {} flushed ({} bytes, {} {})", cname, info->size,
                           info->checksumType, info->checksum);
        ex.ok();
    });
}

} // namespace Kiln::Target
