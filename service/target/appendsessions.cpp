#include "service/target/appendsessions.h"

#include "service/target/checksummer.h"
#include "service/target/objectstore.h"
#include "service/target/objectwriter.h"
#include "shared/api/names.h"
#include "shared/core/logging.h"
#include "shared/core/whenready.h"

#include <QRandomGenerator>
#include <QtConcurrent>

namespace Kiln::Target {
namespace {

constexpr QChar HandleSeparator = '|';

QString shortHead(const QString &value)
{
    return value.size() > 16 ? value.left(16) + QStringLiteral("...") : value;
}

// AIS's cos.ErrBadCksum text for a flush whose checksum does not match.
Error badChecksum(const QString &ourType, const QString &ours, const ExpectedChecksum &given)
{
    const QString text = ourType == given.type
        ? QStringLiteral("BAD DATA CHECKSUM: %1(%2 != %3)").arg(ourType, ours, given.value)
        : QStringLiteral("BAD DATA CHECKSUM: (%1[%2] != %3[%4])")
              .arg(ourType, shortHead(ours), given.type, shortHead(given.value));
    return makeError(ErrorCode::Internal, text, QStringLiteral("ErrBadCksum"));
}

struct FlushOutcome
{
    Result<ObjectInfo> info;
    bool keep = false; // a checksum mismatch keeps the session
};

// On the I/O pool, once the fill is over: checksums what the session wrote, verifies it against
// the client's checksum when given, commits.
FlushOutcome commitAppended(const std::shared_ptr<AppendSession> &held, const Result<void> &fill,
                            const ExpectedChecksum &expected)
{
    if (!fill)
        return FlushOutcome{fill.error()};
    const bool verify = !expected.type.isEmpty() && expected.type != QLatin1String("none")
        && !expected.value.isEmpty();
    if (verify && !Checksummer::isKnownType(expected.type))
        return FlushOutcome{
            makeError(ErrorCode::InvalidArgument,
                      QStringLiteral("invalid checksum type \"%1\"").arg(expected.type)),
            true};
    auto digest = held->writer->rehash();
    if (!digest)
        return FlushOutcome{digest.error()};
    const QString ours = held->writer->checksumType();
    if (verify && (expected.type != ours || expected.value != *digest))
        return FlushOutcome{badChecksum(ours, *digest, expected), true};
    return FlushOutcome{held->writer->commitNow()};
}

} // namespace

AppendSessions::AppendSessions(ObjectStore &store, const Cluster::Snode &self, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_self(self)
{
    m_sweep.setInterval(60 * 1000);
    connect(&m_sweep, &QTimer::timeout, this, &AppendSessions::sweep);
    m_sweep.start();
}

AppendSessions::~AppendSessions()
{
    // A fill still running writes into a writer the session owns: let it finish first.
    for (const auto &session : std::as_const(m_sessions)) {
        if (session->fill.isValid())
            session->fill.waitForFinished();
    }
}

QString AppendSessions::handleOf(const AppendSession &session) const
{
    return QStringList{m_self.id, session.token, session.writer->checksumType(),
                       QString::number(session.writer->bytesWritten())}
        .join(HandleSeparator);
}

Result<AppendSession *> AppendSessions::open(const QString &bucket, const QString &object,
                                             const QString &handle)
{
    if (!handle.isEmpty())
        return find(bucket, object, handle);
    auto writer = m_store.beginWrite(bucket, object);
    if (!writer)
        return writer.error();
    auto session = std::make_shared<AppendSession>();
    session->token = QString::number(QRandomGenerator::global()->generate64(), 36);
    session->bucket = bucket;
    session->object = object;
    session->writer = std::move(*writer);
    session->idle.start();
    // Appending to an existing object continues it: its bytes go first, copied on the I/O pool
    // while the request's own bytes land after them.
    if (auto existing = m_store.stat(bucket, object)) {
        session->writer->setCustom(existing->custom);
        if (existing->size > 0) {
            ObjectWriter *w = session->writer.get();
            const QString path = existing->path;
            const qint64 size = existing->size;
            if (auto reserved = w->writeAt(size, nullptr, 0); !reserved)
                return reserved.error();
            session->fill = QtConcurrent::run(
                m_store.ioPool(), [w, path, size]() { return w->fillFrom(path, size); });
        }
    }
    m_sessions.insert(session->token, session);
    Log::store().debug("append {} opened ({})", Api::objectCname(bucket, object), session->token);
    return session.get();
}

Result<AppendSession *> AppendSessions::find(const QString &bucket, const QString &object,
                                             const QString &handle)
{
    const QStringList items = handle.split(HandleSeparator);
    if (items.size() != 4)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("invalid APPEND handle: \"%1\"").arg(handle));
    const auto it = m_sessions.constFind(items[1]);
    if (items[0] != m_self.id || it == m_sessions.constEnd())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("APPEND handle \"%1\" is unknown on t[%2] (flushed, "
                                        "failed, or idle for over an hour)")
                             .arg(handle, m_self.id));
    AppendSession *session = it->get();
    if (session->bucket != bucket || session->object != object)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("APPEND handle \"%1\" belongs to %2, not %3")
                             .arg(handle, Api::objectCname(session->bucket, session->object),
                                  Api::objectCname(bucket, object)));
    if (session->busy)
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("%1: another append or flush with handle \"%2\" is in "
                                        "progress")
                             .arg(Api::objectCname(bucket, object), handle));
    session->idle.restart();
    return session;
}

void AppendSessions::drop(const QString &token)
{
    auto session = m_sessions.take(token);
    if (!session)
        return;
    Log::store().debug("append {} dropped ({})", Api::objectCname(session->bucket, session->object),
                       token);
    if (session->fill.isValid() && !session->fill.isFinished()) {
        // The pool still writes into the writer: it goes once the fill is over.
        whenReady(session->fill, this, [session](const Result<void> &) {});
    }
}

void AppendSessions::flush(AppendSession *session, const ExpectedChecksum &expected, Flushed done)
{
    std::shared_ptr<AppendSession> held = m_sessions.value(session->token);
    held->busy = true;
    QFuture<Result<void>> filled
        = held->fill.isValid() ? held->fill : QtFuture::makeReadyFuture(Result<void>());
    whenReady(filled, this, [this, held, expected, done](const Result<void> &fill) {
        whenReady(QtConcurrent::run(m_store.ioPool(), &commitAppended, held, fill, expected), this,
                  [this, held, done](const FlushOutcome &outcome) {
                      held->busy = false;
                      if (!outcome.keep)
                          m_sessions.remove(held->token);
                      done(outcome.info);
                  });
    });
}

void AppendSessions::sweep()
{
    QStringList stale;
    for (const auto &session : std::as_const(m_sessions)) {
        if (!session->busy && session->idle.elapsed() > IdleLimitMs)
            stale.append(session->token);
    }
    for (const QString &token : stale) {
        Log::store().info("append session {} idle for over an hour: dropped", token);
        drop(token);
    }
}

} // namespace Kiln::Target
