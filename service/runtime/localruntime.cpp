#include "service/runtime/localruntime.h"

#include "service/runtime/containerengine.h"
#include "service/runtime/containerinstance.h"
#include "service/runtime/containerplan.h"
#include "service/runtime/launchplan.h"
#include "service/runtime/localinstance.h"
#include "service/runtime/venvcache.h"
#include "shared/core/logging.h"

#include <QTcpServer>

namespace Kiln::Runtime {
namespace {

// The launch plan on a loopback port free right now (the image's 8000 would collide across
// targets); io:// instances serve nothing and get none.
Result<LaunchPlan> planOnFreePort(const InstanceSpec &spec, const QString &python,
                                  const ImageCatalogue &catalogue)
{
    int port = 0;
    if (spec.msg.comm != Etl::CommType::Io) {
        QTcpServer probe;
        if (!probe.listen(QHostAddress::LocalHost, 0))
            return makeError(ErrorCode::Unavailable, "no free port for the ETL instance");
        port = probe.serverPort();
    }
    return planLocalLaunch(spec, port, python, &catalogue);
}

} // namespace

LocalRuntime::LocalRuntime(LocalRuntimeConfig config, QObject *parent)
    : Runtime(parent)
    , m_config(std::move(config))
    , m_sandbox(m_config.sandbox)
    , m_venvs(new VenvCache(m_config.venvRoot, m_config.python, this))
    , m_engine(new ContainerEngine(m_config.containers, this))
{
    if (auto stock = ImageCatalogue::stock())
        m_catalogue = *stock;
    else
        Log::runtime().error("{}", stock.error().message);
    m_catalogue.prependRules(m_config.userImages);
    if (m_config.containers != QLatin1String("off"))
        m_engine->probe(); // known before the first ETL asks
}

LocalRuntime::~LocalRuntime() = default;

Result<Instance *> LocalRuntime::create(const InstanceSpec &spec, QObject *parent)
{
    const bool image = spec.msg.kind != Etl::InitKind::Code;
    const QString wanted = requestedRuntime(spec.msg);
    if (!wanted.isEmpty() && wanted != QLatin1String("local")
        && wanted != QLatin1String("container"))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("ETL %1: %2 \"%3\" is not local or container")
                             .arg(spec.msg.name, QString::fromLatin1(RuntimeAnnotation), wanted));
    const bool container = image
        && (wanted == QLatin1String("container")
            || (wanted.isEmpty() && m_config.imageRuntime == QLatin1String("container"))
            || (wanted.isEmpty() && !hasLocalWay(spec, &m_catalogue)
                && m_config.containers != QLatin1String("off")));
    if (container)
        return createContainer(spec, parent);

    auto replan = [spec, python = m_config.python, catalogue = m_catalogue] {
        return planOnFreePort(spec, python, catalogue);
    };
    auto plan = replan();
    if (!plan) {
        if (image && !hasLocalWay(spec, &m_catalogue))
            return cannotRunImage(spec.msg.effectiveImage(), m_engine->describe());
        return plan.error();
    }
    auto *instance = new LocalInstance(spec, *plan, m_venvs, parent);
    instance->setSandbox(&m_sandbox);
    if (spec.msg.comm != Etl::CommType::Io)
        instance->setReplanner(std::move(replan));
    return static_cast<Instance *>(instance);
}

Result<Instance *> LocalRuntime::createContainer(const InstanceSpec &spec, QObject *parent)
{
    if (m_engine->state() == ContainerEngine::State::Off
        || m_engine->state() == ContainerEngine::State::Unavailable) {
        if (!hasLocalWay(spec, &m_catalogue))
            return cannotRunImage(spec.msg.effectiveImage(), m_engine->describe());
        return makeError(
            ErrorCode::InvalidArgument,
            QStringLiteral("ETL %1 asks for a container, but %2; start Docker or "
                           "Podman, or let it run locally (%3: local)")
                .arg(spec.msg.name, m_engine->describe(), QString::fromLatin1(RuntimeAnnotation)));
    }
    auto plan = planContainerLaunch(spec);
    if (!plan)
        return plan.error();
    return static_cast<Instance *>(new ContainerInstance(spec, *plan, m_engine, parent));
}

} // namespace Kiln::Runtime
