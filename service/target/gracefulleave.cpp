#include "service/target/gracefulleave.h"

#include "service/node/intracall.h"
#include "service/target/rebalancer.h"
#include "shared/api/json.h"
#include "shared/api/routepath.h"
#include "shared/api/wire.h"
#include "shared/cluster/smap.h"
#include "shared/core/logging.h"

namespace Kiln::Target {
namespace {

constexpr int PollMs = 200;
constexpr int CallTimeoutMs = 3000;

} // namespace

GracefulLeave::GracefulLeave(Deps deps, int deadlineMs, QObject *parent)
    : QObject(parent)
    , m_deps(std::move(deps))
{
    m_poll.setInterval(PollMs);
    connect(&m_poll, &QTimer::timeout, this, &GracefulLeave::check);
    m_deadline.setSingleShot(true);
    m_deadline.setInterval(deadlineMs);
    connect(&m_deadline, &QTimer::timeout, this, [this] {
        finish(QStringLiteral("the leave deadline passed; objects not yet sent stay here until "
                              "this target returns"));
    });
}

void GracefulLeave::start(std::function<void()> done)
{
    if (m_started)
        return;
    m_started = true;
    m_done = std::move(done);
    m_deadline.start();
    Log::target().info("leaving the cluster: asking {} to move this target's objects off",
                       m_deps.proxy.url());
    const QJsonObject body{{"id", m_deps.self.id}};
    Node::IntraRequest request{"POST", Api::Route::ClusterLeave, Api::compact(body)};
    request.timeoutMs = CallTimeoutMs;
    Node::callNode(m_deps.nam, m_deps.proxy, request, this, [this](Node::IntraReply reply) {
        askedToLeave(reply.status, reply.body, reply.error);
    });
}

void GracefulLeave::askedToLeave(int status, const QByteArray &body, const QString &error)
{
    if (status != 200)
        return finish(QStringLiteral("the proxy did not take the leave (%1)")
                          .arg(status ? QString::number(status) : error));
    auto json = Api::parseObject(body, "leave reply");
    if (!json)
        return finish(json.error().message);
    if (!json->value("drain").toBool())
        return finish(QStringLiteral("no other target in placement: nothing to move"));
    m_deps.apply(*json);
    m_draining = true;
    m_poll.start();
}

void GracefulLeave::check()
{
    if (!m_draining || m_goodbyeSent)
        return;
    const Cluster::Snode *self = m_deps.smap.target(m_deps.self.id);
    const bool outOfPlacement = !self || self->inMaintenance();
    if (!outOfPlacement || !m_deps.rebalancer.isIdle()
        || m_deps.rebalancer.smapVersion() != m_deps.smap.version())
        return;
    // Every object went to its owner: out of the map (AIS's self-remove), then exit.
    m_goodbyeSent = true;
    Node::IntraRequest request{
        "DELETE", Api::routePath(Api::Route::ClusterDaemon, {m_deps.self.id}), {}};
    request.timeoutMs = CallTimeoutMs;
    Node::callNode(m_deps.nam, m_deps.proxy, request, this, [this](Node::IntraReply reply) {
        const QString how = reply.ok() ? QStringLiteral("removed from the map")
                                       : QStringLiteral("self-remove: %1")
                                             .arg(reply.status ? QString::number(reply.status)
                                                               : reply.error);
        finish(QStringLiteral("every object is with its new owner; %1").arg(how));
    });
}

void GracefulLeave::proxyGone(const QString &why)
{
    if (m_done)
        finish(why);
}

void GracefulLeave::finish(const QString &why)
{
    if (!m_done)
        return;
    m_poll.stop();
    m_deadline.stop();
    Log::target().info("left the cluster: {}", why);
    auto done = std::move(m_done);
    m_done = {};
    done();
}

} // namespace Kiln::Target
