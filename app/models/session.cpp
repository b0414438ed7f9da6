#include "app/models/session.h"

#include "app/models/bucketmodel.h"
#include "app/models/clustermodel.h"
#include "app/models/etllistmodel.h"
#include "app/models/etlratepoller.h"
#include "shared/api/apiclient.h"
#include "shared/api/apierror.h"

#include <QTimer>

#include <utility>

namespace Kiln::Console {
namespace {

constexpr int MinBackoffMs = 1000;
constexpr int MaxBackoffMs = 10000;
// The cluster map and bucket counts change rarely and cost a listing per bucket: every 5th tick.
constexpr int ClusterEveryTicks = 5;
// Counting objects pages through a listing; past this many the count shows as a lower bound.
constexpr int MaxCountedObjects = 100000;

} // namespace

Session::Session(Api::ApiClient *api, EtlListModel *etls, ClusterModel *nodes, BucketModel *buckets,
                 QObject *parent)
    : QObject(parent)
    , m_api(api)
    , m_etls(etls)
    , m_nodes(nodes)
    , m_buckets(buckets)
    , m_rates(new EtlRatePoller(api, etls, this))
    , m_poll(new QTimer(this))
    , m_probe(new QTimer(this))
{
    m_poll->setInterval(m_pollMs);
    connect(m_poll, &QTimer::timeout, this, &Session::onTick);
    m_probe->setSingleShot(true);
    connect(m_probe, &QTimer::timeout, this, &Session::onProbe);
}

Session::~Session() = default;

int Session::retryInSeconds() const
{
    return m_probe->isActive() ? (m_probe->remainingTime() + 999) / 1000 : 0;
}

void Session::setPollInterval(int msecs)
{
    m_pollMs = msecs;
    m_poll->setInterval(msecs);
}

void Session::start()
{
    m_backoffMs = MinBackoffMs;
    m_connected = false;
    if (m_etls)
        m_etls->clear();
    m_probe->stop();
    m_poll->start();
    m_ticks = 0;
    m_clusterUuid.clear();
    if (!std::exchange(m_denials, {}).isEmpty())
        Q_EMIT accessDenied({});
    onTick();
}

void Session::refreshNow()
{
    if (m_connected)
        onTick();
    else
        onProbe();
}

void Session::setConnected(bool connected, const QString &error)
{
    if (connected == m_connected && connected)
        return;
    const bool changed = connected != m_connected;
    m_connected = connected;
    if (connected) {
        m_backoffMs = MinBackoffMs;
        m_probe->stop();
        if (!m_poll->isActive())
            m_poll->start();
    } else {
        m_poll->stop();
        m_probe->start(m_backoffMs);
        m_backoffMs = qMin(m_backoffMs * 2, MaxBackoffMs);
        if (m_nodes)
            m_nodes->setUnreachable();
    }
    if (changed || !connected)
        Q_EMIT connectionChanged(connected, error);
}

void Session::onProbe()
{
    if (!m_api)
        return;
    m_api->health(this, [this](const Result<void> &ok) {
        if (ok
            || (ok.error().code != ErrorCode::Unavailable
                && ok.error().code != ErrorCode::Timeout)) {
            // Any HTTP answer means the proxy is back; a 503 "starting" counts too.
            setConnected(true, {});
            m_ticks = 0;
            onTick();
        } else {
            setConnected(false, ok.error().message);
        }
    });
}

void Session::onTick()
{
    if (!m_api || m_listInFlight)
        return;
    m_listInFlight = true;
    m_api->listEtls(this, [this](const Result<QList<Api::EtlSummary>> &etls) {
        m_listInFlight = false;
        if (!etls) {
            const ErrorCode code = etls.error().code;
            if (code == ErrorCode::Unavailable || code == ErrorCode::Timeout) {
                setConnected(false, etls.error().message);
                return;
            }
            // The proxy answered (a read-only user's 403, say): it is there; the rest polls on.
            setConnected(true, {});
            noteAccess(tr("the ETL list"), &etls.error());
            return;
        }
        setConnected(true, {});
        noteAccess(tr("the ETL list"), nullptr);
        if (!m_etls)
            return;
        m_etls->setEtls(*etls);
        for (const QString &name : m_etls->namesNeedingDetails()) {
            m_api->etlDetails(name, this, [this, name](const Result<Api::EtlDetails> &d) {
                if (d && m_etls)
                    m_etls->setDetails(name, *d);
            });
        }
        Q_EMIT etlsRefreshed();
        if (!etls->isEmpty())
            m_rates->poll(m_targetUrls);
    });
    if (m_ticks++ % ClusterEveryTicks == 0)
        refreshCluster();
}

void Session::refreshCluster()
{
    if (!m_api)
        return;
    m_api->clusterMap(this, [this](const Result<Cluster::Smap> &smap) {
        if (smap && m_nodes)
            m_nodes->setSmap(*smap);
        if (smap && smap->uuid() != m_clusterUuid) {
            m_clusterUuid = smap->uuid();
            Q_EMIT clusterIdentified(m_clusterUuid);
        }
        if (smap) {
            m_targetUrls.clear();
            for (const Cluster::Snode &t : smap->targets())
                m_targetUrls.append(QUrl(t.url()));
        }
    });
    m_api->listBuckets(this, [this](const Result<QList<Api::BucketInfo>> &buckets) {
        noteAccess(tr("the bucket list"), buckets ? nullptr : &buckets.error());
        if (!buckets || !m_buckets)
            return;
        QStringList names;
        for (const Api::BucketInfo &b : *buckets)
            names.append(b.name);
        names.sort();
        m_buckets->setBuckets(names);
        m_api->bucketProps(this, [this](const Result<QList<Api::BucketProps>> &props) {
            if (props && m_buckets) // an AIStore proxy has no such list: the column stays empty
                for (const Api::BucketProps &p : *props)
                    m_buckets->setRedundancy(p);
        });
        for (const QString &name : names)
            countObjects(name);
    });
}

void Session::noteAccess(const QString &what, const Error *error)
{
    const Api::ErrorKind kind = error ? Api::errorKind(*error) : Api::ErrorKind::Other;
    QString text;
    if (kind == Api::ErrorKind::Unauthorized)
        text = tr("The cluster refused %1 (401, not authenticated: log in again with Connect): %2")
                   .arg(what, error->message);
    else if (kind == Api::ErrorKind::Forbidden)
        text = tr("The cluster refused %1 (403, not permitted): %2").arg(what, error->message);
    else if (error)
        return; // any other failure is not about access; the poll's own handling shows it
    const QString before = QStringList(m_denials.values()).join(QStringLiteral("\n"));
    if (text.isEmpty())
        m_denials.remove(what);
    else
        m_denials.insert(what, text);
    const QString after = QStringList(m_denials.values()).join(QStringLiteral("\n"));
    if (after != before)
        Q_EMIT accessDenied(after);
}

void Session::countObjects(const QString &bucket)
{
    m_api->listObjects(bucket, {}, MaxCountedObjects, this,
                       [this, bucket](const Result<QList<Api::ObjectInfo>> &objects) {
                           if (!objects || !m_buckets)
                               return;
                           qint64 bytes = 0;
                           QList<int> copies;
                           for (const Api::ObjectInfo &o : *objects) {
                               bytes += o.size;
                               copies.append(o.copies);
                           }
                           m_buckets->setCount(bucket, objects->size(), bytes, copies);
                       });
}

QString Session::actionName(Action action)
{
    switch (action) {
    case Action::Start:
        return tr("start");
    case Action::Stop:
        return tr("stop");
    case Action::Restart:
        return tr("restart");
    case Action::Delete:
        return tr("delete");
    }
    return {};
}

void Session::run(Action action, const QString &etlName)
{
    if (!m_api)
        return;
    Q_EMIT actionStarted(etlName, action);
    auto finish = [this, etlName, action](const Result<void> &done) {
        Q_EMIT actionFinished(etlName, action, done ? QString() : done.error().message);
        refreshNow();
    };
    switch (action) {
    case Action::Start:
        m_api->startEtl(etlName, this, finish);
        break;
    case Action::Stop:
        m_api->stopEtl(etlName, this, finish);
        break;
    case Action::Delete:
        m_api->deleteEtl(etlName, this, finish);
        break;
    case Action::Restart:
        // AIS starts only from Aborted: stop first unless it is stopped already.
        if (m_etls && m_etls->stageOf(etlName) == Etl::Stage::Aborted) {
            m_api->startEtl(etlName, this, finish);
            break;
        }
        m_api->stopEtl(etlName, this, [this, etlName, finish](const Result<void> &stopped) {
            if (!stopped)
                return finish(stopped);
            m_api->startEtl(etlName, this, finish);
        });
        break;
    }
}

} // namespace Kiln::Console
