#include "service/etl/etlmanager.h"

#include "service/metrics/etlmetrics.h"
#include "service/metrics/registry.h"
#include "service/node/snapshotwriter.h"
#include "shared/api/json.h"
#include "shared/core/fileutil.h"
#include "shared/core/logging.h"

#include <QDir>
#include <QJsonArray>
#include <QTimer>

#include <memory>

namespace Kiln::Etl {
namespace {

// How long past an init's timeout a target waits for the proxy's commit or abort.
constexpr std::chrono::seconds CommitGrace{10};

} // namespace

void EtlEntry::addError(const ObjError &e)
{
    if (objErrors.size() >= MaxObjErrors)
        return;
    for (const ObjError &existing : objErrors) {
        if (existing.message == e.message && existing.objName == e.objName)
            return;
    }
    objErrors.append(e);
}

EtlManager::EtlManager(Runtime::Runtime *runtime, QString dataDir, QString targetId,
                       QObject *parent)
    : QObject(parent)
    , m_runtime(runtime)
    , m_dataDir(std::move(dataDir))
    , m_targetId(std::move(targetId))
    , m_writer(new Node::SnapshotWriter(m_dataDir + "/etl.json", this))
{ }

EtlManager::~EtlManager()
{
    // Instances are children: their destructors kill their process groups.
}

QString EtlManager::workDirFor(const QString &name) const
{
    return m_dataDir + QStringLiteral("/etl/") + name;
}

EtlEntry *EtlManager::find(const QString &name)
{
    const auto it = m_entries.find(name);
    return it == m_entries.end() ? nullptr : &*it;
}

QList<qint64> EtlManager::pids() const
{
    QList<qint64> all;
    for (const EtlEntry &e : m_entries) {
        if (e.instance)
            all += e.instance->pids();
    }
    return all;
}

void EtlManager::startInstance(const QString &name, Done done)
{
    EtlEntry *entry = find(name);
    if (!entry)
        return done(
            makeError(ErrorCode::NotFound, QStringLiteral("etl job %1 does not exist").arg(name)));
    if (entry->instance) {
        entry->instance->disconnect(this);
        entry->instance->stop();
        entry->instance->deleteLater();
    }
    Runtime::InstanceSpec spec;
    spec.msg = entry->record.msg;
    spec.targetId = m_targetId;
    spec.aisTargetUrl
        = QStringLiteral("%1/v1/etl/_object/%2/%3").arg(m_targetUrl, name, entry->record.secret);
    spec.workDir = workDirFor(name);
    auto created = m_runtime->create(spec, this);
    if (!created)
        return done(created.error());
    Runtime::Instance *instance = *created;
    entry->instance = instance;
    entry->error.clear();
    const QString xid = entry->record.xid;
    // Exactly one of ready/failed arrives; the shared flag keeps the reply single.
    auto replied = std::make_shared<bool>(false);
    connect(instance, &Runtime::Instance::ready, this, [done, replied] {
        if (!std::exchange(*replied, true))
            done({});
    });
    connect(instance, &Runtime::Instance::failed, this,
            [this, name, done, replied](const Error &e) {
                if (EtlEntry *en = find(name))
                    en->error = e.message;
                if (!std::exchange(*replied, true))
                    done(e);
            });
    connect(instance, &Runtime::Instance::exited, this, [this, name, xid](const Error &why) {
        EtlEntry *en = find(name);
        if (!en || en->record.xid != xid)
            return;
        en->error = why.message;
        en->record.stage = Stage::Aborted;
        save();
        if (Metrics::enabled())
            Metrics::EtlMetrics::global().exited(name);
        Q_EMIT instanceFailed(name, xid, why.message);
    });
    instance->start();
}

void EtlManager::begin(const EtlRecord &record, QObject *context, Done done)
{
    const QString name = record.msg.name;
    if (EtlEntry *existing = find(name); existing && existing->instance
        && existing->record.stage != Stage::Aborted && existing->record.xid != record.xid) {
        // A leftover of a run the proxy no longer has: replace it.
        existing->instance->disconnect(this);
        existing->instance->stop();
        existing->instance->deleteLater();
    }
    EtlEntry entry;
    entry.record = record;
    entry.record.stage = Stage::Initializing;
    m_entries.insert(name, entry);
    Log::etl().info("etl[{}] begin {} ({}, {})", name, record.xid, record.msg.kindName(),
                    commTypeName(record.msg.comm));
    // The proxy commits or aborts once every target has answered, within the init timeout. When
    // neither comes (the proxy died in between and forgot the init), the instance would run for
    // nobody: it is dropped then.
    QTimer::singleShot(record.msg.initTimeout + CommitGrace, this,
                       [this, name, xid = record.xid] { dropUncommitted(name, xid); });
    QPointer<QObject> ctx(context);
    startInstance(name, [this, name, done, ctx](Result<void> started) {
        if (!started) {
            if (EtlEntry *en = find(name)) {
                en->record.stage = Stage::Aborted;
                en->error = started.error().message;
                if (en->instance)
                    en->instance->stop();
            }
        }
        if (ctx)
            done(started);
    });
}

void EtlManager::dropUncommitted(const QString &name, const QString &xid)
{
    const EtlEntry *entry = find(name);
    if (!entry || entry->record.xid != xid || entry->record.stage != Stage::Initializing)
        return; // committed, aborted or replaced meanwhile
    Log::etl().warn("etl[{}] {}: neither commit nor abort from the proxy within the init "
                    "timeout; stopping the instance",
                    name, xid);
    remove(name, this, [] {});
}

Result<void> EtlManager::commit(const QString &name, const QString &xid)
{
    EtlEntry *entry = find(name);
    if (!entry || entry->record.xid != xid)
        return makeError(
            ErrorCode::NotFound,
            QStringLiteral("etl job %1 (%2) is not being initialized here").arg(name, xid));
    if (!entry->instance || entry->record.stage == Stage::Aborted)
        return makeError(
            ErrorCode::Conflict,
            QStringLiteral("etl job %1 is no longer running here: %2").arg(name, entry->error));
    entry->record.stage = Stage::Running;
    save();
    Log::etl().info("etl[{}] running ({})", name, xid);
    return {};
}

void EtlManager::stop(const QString &name, const QString &why, QObject *context,
                      std::function<void()> done)
{
    EtlEntry *entry = find(name);
    QPointer<QObject> ctx(context);
    if (!entry || !entry->instance) {
        if (entry) {
            entry->record.stage = Stage::Aborted;
            save();
        }
        QMetaObject::invokeMethod(
            this,
            [done, ctx] {
                if (ctx)
                    done();
            },
            Qt::QueuedConnection);
        return;
    }
    entry->record.stage = Stage::Aborted;
    if (!why.isEmpty() && entry->error.isEmpty())
        entry->error = why;
    save();
    Runtime::Instance *instance = entry->instance;
    instance->disconnect(this, nullptr);
    connect(
        instance, &Runtime::Instance::stopped, this,
        [done, ctx] {
            if (ctx)
                done();
        },
        Qt::SingleShotConnection);
    Log::etl().info("etl[{}] stopping{}", name, why.isEmpty() ? QString() : ": " + why);
    instance->stop();
}

void EtlManager::remove(const QString &name, QObject *context, std::function<void()> done)
{
    QPointer<QObject> ctx(context);
    stop(name, {}, this, [this, name, done, ctx] {
        if (EtlEntry *entry = find(name)) {
            if (entry->instance)
                entry->instance->deleteLater();
            m_entries.remove(name);
            QDir(workDirFor(name)).removeRecursively();
            save();
        }
        if (ctx)
            done();
    });
}

void EtlManager::reconcile(const EtlMd &md)
{
    for (const EtlRecord &record : md.records()) {
        if (record.stage != Stage::Running)
            continue;
        EtlEntry *entry = find(record.msg.name);
        if (entry && entry->record.xid == record.xid
            && (entry->record.stage == Stage::Running
                || entry->record.stage == Stage::Initializing))
            continue;
        if (entry && entry->record.xid == record.xid && entry->record.stage == Stage::Aborted)
            continue; // it failed here; the proxy has been told
        // Running in the cluster but not here (this target restarted or was away): start it.
        Log::etl().info("etl[{}] runs in the cluster but not here: starting it", record.msg.name);
        EtlEntry fresh;
        fresh.record = record;
        m_entries.insert(record.msg.name, fresh);
        const QString name = record.msg.name;
        const QString xid = record.xid;
        if (Metrics::enabled())
            Metrics::EtlMetrics::global().restarted(name);
        startInstance(name, [this, name, xid](Result<void> started) {
            EtlEntry *en = find(name);
            if (!en || en->record.xid != xid)
                return;
            if (!started) {
                en->record.stage = Stage::Aborted;
                save();
                Q_EMIT instanceFailed(name, xid, started.error().message);
                return;
            }
            save();
        });
    }
    const QList<QString> names = m_entries.keys();
    for (const QString &name : names) {
        EtlEntry *entry = find(name);
        if (entry->record.stage == Stage::Initializing)
            continue; // the 2-phase init decides
        const EtlRecord *record = md.find(name);
        if (!record) {
            Log::etl().info("etl[{}] was deleted in the cluster: removing it here", name);
            remove(name, this, [] {});
        } else if (record->stage == Stage::Aborted && entry->instance
                   && entry->record.stage != Stage::Aborted) {
            stop(name, record->error, this, [] {});
        }
    }
}

void EtlManager::restore()
{
    auto saved = readWholeFile(m_writer->path());
    if (!saved)
        return;
    auto json = Api::parseObject(*saved, "saved ETLs");
    if (!json) {
        Log::etl().error("{}/etl.json: {}", m_dataDir, json.error().message);
        return;
    }
    for (const QJsonValue &v : json->value("etls").toArray()) {
        auto record = EtlRecord::fromJson(v.toObject());
        if (!record) {
            Log::etl().error("{}/etl.json: {}", m_dataDir, record.error().message);
            continue;
        }
        EtlEntry entry;
        entry.record = *record;
        const bool wasRunning = record->stage == Stage::Running;
        if (!wasRunning)
            entry.record.stage = Stage::Aborted;
        m_entries.insert(record->msg.name, entry);
        if (!wasRunning)
            continue;
        const QString name = record->msg.name;
        const QString xid = record->xid;
        Log::etl().info("etl[{}] was running before the restart: starting it again", name);
        if (Metrics::enabled())
            Metrics::EtlMetrics::global().restarted(name);
        startInstance(name, [this, name, xid](Result<void> started) {
            if (started)
                return;
            if (EtlEntry *en = find(name); en && en->record.xid == xid) {
                en->record.stage = Stage::Aborted;
                save();
                Q_EMIT instanceFailed(name, xid, started.error().message);
            }
        });
    }
}

void EtlManager::save()
{
    QJsonArray list;
    for (const EtlEntry &e : m_entries) {
        if (e.record.stage == Stage::Initializing)
            continue; // not decided yet: after a crash mid-init the proxy aborts it anyway
        list.append(e.record.toJson());
    }
    if (!QDir().mkpath(m_dataDir))
        return;
    // Written on the writer's thread: fsync and rename never hold up the target's event loop.
    m_writer->save(Api::compact(QJsonObject{{"etls", list}}), [](const Result<void> &saved) {
        if (!saved)
            Log::etl().error("saving ETLs: {}", saved.error().message);
    });
}

void EtlManager::publishUsage()
{
    QList<Metrics::EtlMetrics::Usage> usage;
    for (auto it = m_entries.cbegin(); it != m_entries.cend(); ++it) {
        if (!it->isRunning())
            continue;
        const Runtime::Usage u = it->instance->usage();
        usage.append({it.key(), u.cpuCores, u.memBytes});
    }
    Metrics::EtlMetrics::global().setUsage(usage);
}

} // namespace Kiln::Etl
