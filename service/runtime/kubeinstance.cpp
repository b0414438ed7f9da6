#include "service/runtime/kubeinstance.h"

#include "service/kube/kubeclient.h"
#include "service/kube/kubewatch.h"
#include "service/kube/podstate.h"
#include "shared/core/logging.h"

#include <QJsonArray>

namespace Kiln::Runtime {
namespace {

// AIStore waits this long for a deleted ETL pod to be gone.
constexpr int StopTimeoutMs = 45000;
// Lines of the main container's log a logs request returns.
constexpr int LogTailLines = 2000;
// A pod of the same name still being deleted: how often to try creating ours again.
constexpr int RecreateDelayMs = 500;

int containerPort(const QJsonObject &container)
{
    const QJsonArray ports = container.value("ports").toArray();
    for (const QJsonValue &p : ports) {
        if (p.toObject().value("name").toString() == QLatin1String("default"))
            return p.toObject().value("containerPort").toInt();
    }
    return ports.isEmpty() ? 0 : ports.first().toObject().value("containerPort").toInt();
}

} // namespace

KubeInstance::KubeInstance(InstanceSpec spec, QJsonObject pod, Kube::KubeClient *client,
                           QObject *parent)
    : InstanceLifecycle(std::move(spec), Log::kube(), parent)
    , m_podSpec(std::move(pod))
    , m_client(client)
{
    m_name = m_podSpec.value("metadata").toObject().value("name").toString();
    const QJsonObject main
        = m_podSpec.value("spec").toObject().value("containers").toArray().first().toObject();
    m_container = main.value("name").toString();
    m_port = containerPort(main);
    if (m_port == 0)
        m_port = Etl::DefaultContainerPort;

    m_stopTimer.setSingleShot(true);
    m_stopTimer.setInterval(StopTimeoutMs);
    connect(&m_stopTimer, &QTimer::timeout, this, [this] {
        Log::kube().warn("{}: still there {} ms after its deletion; giving up waiting", context(),
                         StopTimeoutMs);
        finishStop();
    });
    m_recreateTimer.setSingleShot(true);
    m_recreateTimer.setInterval(RecreateDelayMs);
    connect(&m_recreateTimer, &QTimer::timeout, this, &KubeInstance::createPod);
}

KubeInstance::~KubeInstance()
{
    // Deleted without stop() (target shutdown): the pod must not outlive its target's ETL.
    if (m_client && state() != State::Stopped && state() != State::Created)
        m_client->deletePod(m_name, m_client, [](const Result<QJsonObject> &) {});
}

QString KubeInstance::context() const
{
    return InstanceLifecycle::context() + QStringLiteral(" (pod %1)").arg(m_name);
}

QString KubeInstance::timeoutDetail() const
{
    return QStringLiteral(" (pod phase %1%2)")
        .arg(m_phase, m_lastWaiting.isEmpty() ? QString() : QStringLiteral(", ") + m_lastWaiting);
}

void KubeInstance::start()
{
    if (beginStart())
        createPod();
}

void KubeInstance::createPod()
{
    if (!m_client)
        return failStart(contextError(ErrorCode::Internal, "the Kubernetes client is gone"));
    ++m_createAttempts;
    m_client->createPod(m_podSpec, this, [this](Result<QJsonObject> pod) { onCreated(pod); });
}

void KubeInstance::onCreated(const Result<QJsonObject> &pod)
{
    if (state() == State::Stopping || state() == State::Stopped || state() == State::Failed) {
        // Stopped while the create was on its way: the pod must not stay behind.
        if (pod)
            deletePod();
        return;
    }
    if (!pod) {
        if (pod.error().code == ErrorCode::AlreadyExists) {
            // A pod of this name is left from an earlier run of this ETL on this target
            // (AIStore deletes first as well); delete it and create ours once it is gone.
            Log::kube().info("{}: a pod of that name exists; replacing it", context());
            m_client->deletePod(m_name, this, [this](const Result<QJsonObject> &) {
                if (state() == State::Launching)
                    m_recreateTimer.start();
            });
            return;
        }
        return failStart(contextError(pod.error().code, pod.error().message));
    }
    setStarting();
    Log::kube().info("{}: created on node {}", context(),
                     m_podSpec.value("metadata")
                         .toObject()
                         .value("labels")
                         .toObject()
                         .value("kiln/node")
                         .toString());
    const QString rv = pod->value("metadata").toObject().value("resourceVersion").toString();
    onPodEvent(QStringLiteral("ADDED"), *pod);
    if (state() == State::Starting)
        watchFrom(rv);
}

void KubeInstance::watchFrom(const QString &resourceVersion)
{
    if (!m_watch) {
        m_watch = m_client->watchPod(m_name, resourceVersion, this);
        connect(m_watch, &Kube::KubeWatch::event, this, &KubeInstance::onPodEvent);
        connect(m_watch, &Kube::KubeWatch::expired, this, &KubeInstance::onWatchExpired);
        connect(m_watch, &Kube::KubeWatch::failed, this, [this](const Error &e) {
            if (state() == State::Starting)
                failStart(contextError(e.code, e.message));
            else
                Log::kube().warn("{}: cannot follow the pod any more: {}", context(), e.message);
        });
    } else {
        m_watch->start(resourceVersion);
    }
}

void KubeInstance::onWatchExpired()
{
    // The version we watched from is gone (410): read the pod afresh and watch from there.
    m_client->getPod(m_name, this, [this](const Result<QJsonObject> &pod) {
        if (!pod) {
            if (pod.error().code == ErrorCode::NotFound)
                return onPodEvent(QStringLiteral("DELETED"), m_pod);
            if (state() == State::Starting)
                return failStart(contextError(pod.error().code, pod.error().message));
            return;
        }
        onPodEvent(QStringLiteral("MODIFIED"), *pod);
        if (state() == State::Starting || state() == State::Ready || state() == State::Stopping)
            watchFrom(pod->value("metadata").toObject().value("resourceVersion").toString());
    });
}

void KubeInstance::onPodEvent(const QString &type, const QJsonObject &pod)
{
    if (type == QLatin1String("DELETED")) {
        m_phase = QStringLiteral("Succeeded");
        switch (state()) {
        case State::Stopping:
            return finishStop();
        case State::Starting:
            return failStart(contextError(ErrorCode::InvalidArgument,
                                          "the pod was deleted before it became ready"));
        case State::Ready:
            if (m_watch)
                m_watch->stop();
            markExited(contextError(ErrorCode::Aborted, "the pod was deleted"));
            return;
        default:
            return;
        }
    }
    m_pod = pod;
    const Kube::PodState s = Kube::PodState::fromPod(pod);
    m_phase = s.phase;
    if (!s.podIp.isEmpty())
        m_podIp = s.podIp;
    for (const QJsonValue &c :
         pod.value("status").toObject().value("containerStatuses").toArray()) {
        const QJsonObject waiting
            = c.toObject().value("state").toObject().value("waiting").toObject();
        if (!waiting.isEmpty())
            m_lastWaiting = QStringLiteral("container %1 waiting: %2")
                                .arg(c.toObject().value("name").toString(),
                                     waiting.value("reason").toString());
    }
    if (state() == State::Starting) {
        if (!s.fatal.isEmpty())
            return failStart(contextError(ErrorCode::InvalidArgument, s.fatal));
        if (s.ready && !m_podIp.isEmpty())
            markReady(QStringLiteral("%1:%2").arg(m_podIp).arg(m_port));
        return;
    }
    if (state() == State::Ready && (!s.fatal.isEmpty() || s.deleting))
        markExited(contextError(ErrorCode::Aborted, s.fatal.isEmpty()
                                    ? QStringLiteral("the pod is being deleted")
                                    : s.fatal));
}

void KubeInstance::cleanUpFailedStart()
{
    m_recreateTimer.stop();
    if (m_watch)
        m_watch->stop();
    // A pod that cannot serve is removed now; stop() later finds it gone.
    deletePod();
}

void KubeInstance::deletePod()
{
    if (!m_client)
        return;
    m_client->deletePod(m_name, this, [this](const Result<QJsonObject> &deleted) {
        if (!deleted && deleted.error().code != ErrorCode::NotFound)
            Log::kube().warn("{}: {}", context(), deleted.error().message);
        if (state() != State::Stopping)
            return;
        if (!deleted)
            return finishStop(); // 404: nothing left (other errors: nothing more we can do)
        // Grace 0 removes it at once on most clusters; make sure before saying stopped.
        m_client->getPod(m_name, this, [this](const Result<QJsonObject> &pod) {
            if (state() != State::Stopping)
                return;
            if (!pod)
                return finishStop();
            watchFrom(pod->value("metadata").toObject().value("resourceVersion").toString());
        });
    });
}

void KubeInstance::stop()
{
    switch (state()) {
    case State::Stopping:
        return; // stopped() follows when the pod is gone
    case State::Stopped:
    case State::Created:
        return markStoppedLater();
    default:
        break;
    }
    m_recreateTimer.stop();
    setStopping();
    m_stopTimer.start();
    Log::kube().info("{}: deleting", context());
    deletePod();
}

void KubeInstance::finishStop()
{
    if (state() != State::Stopping)
        return;
    m_stopTimer.stop();
    if (m_watch)
        m_watch->stop();
    m_phase = QStringLiteral("Succeeded");
    Log::kube().info("{}: gone", context());
    markStopped();
}

QUrl KubeInstance::endpoint() const
{
    QUrl url;
    url.setScheme(QStringLiteral("http"));
    url.setHost(m_podIp);
    url.setPort(m_port);
    return url;
}

void KubeInstance::fetchLogs(QObject *ctx, std::function<void(Result<QByteArray>)> done)
{
    if (!m_client)
        return done(m_lastLogs);
    QPointer<KubeInstance> self(this);
    m_client->podLogs(m_name, m_container, LogTailLines, ctx,
                      [self, done = std::move(done)](Result<QByteArray> logs) {
                          if (logs && self)
                              self->m_lastLogs = *logs;
                          done(std::move(logs));
                      });
}

void KubeInstance::fetchUsage(QObject *ctx, std::function<void(Result<Usage>)> done)
{
    if (!m_client)
        return done(m_lastUsage);
    const Kube::PodUsage limits = Kube::limitsFromPod(m_pod.isEmpty() ? m_podSpec : m_pod);
    QPointer<KubeInstance> self(this);
    const QString what = context();
    m_client->podMetrics(
        m_name, ctx,
        [self, what, limits, done = std::move(done)](const Result<QJsonObject> &metrics) {
            if (!metrics && metrics.error().code == ErrorCode::NotFound)
                // Not "no such ETL": the cluster has no figures for this pod.
                return done(makeError(ErrorCode::Unavailable,
                                      QStringLiteral("%1: metrics.k8s.io has no CPU/memory "
                                                     "figures for the pod (is metrics-server "
                                                     "installed? a pod just started has none for "
                                                     "a while): %2")
                                          .arg(what, metrics.error().message)));
            if (!metrics)
                return done(metrics.error());
            const Kube::PodUsage used = Kube::usageFromMetrics(*metrics);
            Usage u{used.cpuCores, used.memBytes, limits.cpuCores, limits.memBytes};
            if (self)
                self->m_lastUsage = u;
            done(u);
        });
}

} // namespace Kiln::Runtime
