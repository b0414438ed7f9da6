#include "service/runtime/localruntime.h"

#include "service/runtime/launchplan.h"
#include "service/runtime/localinstance.h"
#include "service/runtime/venvcache.h"

#include <QTcpServer>

namespace Kiln::Runtime {

LocalRuntime::LocalRuntime(LocalRuntimeConfig config, QObject *parent)
    : Runtime(parent)
    , m_config(std::move(config))
    , m_venvs(new VenvCache(m_config.venvRoot, m_config.python, this))
{}

LocalRuntime::~LocalRuntime() = default;

Result<Instance *> LocalRuntime::create(const InstanceSpec &spec, QObject *parent)
{
    int port = 0;
    if (spec.msg.comm != Etl::CommType::Io) {
        // A free loopback port for this instance (the image's 8000 would collide across targets).
        QTcpServer probe;
        if (!probe.listen(QHostAddress::LocalHost, 0))
            return makeError(ErrorCode::Unavailable, "no free port for the ETL instance");
        port = probe.serverPort();
    }
    auto plan = planLocalLaunch(spec, port, m_config.python);
    if (!plan)
        return plan.error();
    return static_cast<Instance *>(new LocalInstance(spec, *plan, m_venvs, parent));
}

} // namespace Kiln::Runtime
