#include "service/proxy/etlroutes.h"

#include "service/http/exchange.h"
#include "service/http/router.h"
#include "service/proxy/etlservice.h"
#include "shared/api/etlwire.h"
#include "shared/api/json.h"
#include "shared/api/objectwire.h"
#include "shared/api/wire.h"

#include <algorithm>

namespace Kiln::Proxy {
namespace {

// Answers a service result as JSON, encoded by encode.
template<typename T, typename Encode> auto answerJson(Http::Exchange ex, Encode encode)
{
    return [ex, encode](const Result<T> &result) mutable {
        if (!result)
            return ex.fail(result.error());
        ex.json(encode(*result));
    };
}

auto answerOk(Http::Exchange ex)
{
    return [ex](const Result<void> &result) mutable {
        if (!result)
            return ex.fail(result.error());
        ex.ok();
    };
}

auto answerXid(Http::Exchange ex)
{
    return [ex](const Result<QString> &xid) mutable {
        if (!xid)
            return ex.fail(xid.error());
        ex.respond(200, xid->toUtf8(), Api::MimeText);
    };
}

bool hasEnv(const Etl::InitMsg &msg, const char *name)
{
    return std::any_of(msg.runtimeEnv.begin(), msg.runtimeEnv.end(),
                       [name](const Etl::EnvVar &v) { return v.name == QLatin1String(name); });
}

} // namespace

EtlRoutes::EtlRoutes(EtlService &service, QObject *parent)
    : QObject(parent)
    , m_service(service)
{ }

void EtlRoutes::registerRoutes(Http::Router &r)
{
    using namespace Api;
    auto bind = [this](void (EtlRoutes::*method)(Http::Exchange)) {
        return Http::bindHandler(this, method);
    };
    const QString etl = QStringLiteral("{etl}");
    r.add({"PUT"}, etlPath(), bind(&EtlRoutes::onInit));
    r.add({"GET"}, etlPath(), bind(&EtlRoutes::onList));
    // Seed-era forms: POST /v1/etl/init (pod YAML body), /v1/etl/build (code JSON),
    // GET /v1/etl/list, DELETE /v1/etl/stop/<name>. "init", "build", "list" and "stop" are too
    // short to be ETL names, so they never clash with /v1/etl/<name>.
    r.add({"POST", "PUT"}, etlPath(EtlPath::Init), bind(&EtlRoutes::onInitYaml));
    r.add({"POST", "PUT"}, etlPath(EtlPath::Build), bind(&EtlRoutes::onInit));
    r.add({"GET"}, etlPath(EtlPath::List), bind(&EtlRoutes::onList));
    r.add({"DELETE", "POST"}, etlPath(EtlPath::Stop, etl), bind(&EtlRoutes::onStop));
    r.add({"GET"}, etlPath(etl), bind(&EtlRoutes::onDetails));
    r.add({"DELETE"}, etlPath(etl), bind(&EtlRoutes::onDelete));
    r.add({"POST"}, etlPath(etl, EtlPath::Stop), bind(&EtlRoutes::onStop));
    r.add({"POST"}, etlPath(etl, EtlPath::Start), bind(&EtlRoutes::onStart));
    r.add({"GET"}, etlPath(etl, EtlPath::Logs), bind(&EtlRoutes::onLogs));
    r.add({"GET"}, etlPath(etl, QStringLiteral("%1/{target}").arg(EtlPath::Logs)),
          bind(&EtlRoutes::onLogs));
    r.add({"GET"}, etlPath(etl, EtlPath::Health), bind(&EtlRoutes::onHealth));
    r.add({"GET"}, etlPath(etl, EtlPath::Metrics), bind(&EtlRoutes::onMetrics));
    r.add({"POST"}, etlPath(etl, EtlPath::Failed), bind(&EtlRoutes::onFailed));
}

void EtlRoutes::onInit(Http::Exchange ex)
{
    auto msg = Etl::InitMsg::fromJson(ex.body());
    if (!msg)
        return ex.fail(msg.error());
    // An SDK init_class pickle refers to the SDK's own classes: remember which SDK sent it
    // ("ais/python/1.25.0") so the runtime installs the same one.
    const QByteArray agent = ex.request().header("user-agent");
    if (hasEnv(*msg, "ETL_CLASS_PAYLOAD") && agent.startsWith("ais/python/")) {
        const QString version = QString::fromLatin1(agent.mid(11)).section(' ', 0, 0);
        if (!hasEnv(*msg, "KILN_SDK_VERSION") && !version.isEmpty())
            msg->runtimeEnv.append(Etl::EnvVar{"KILN_SDK_VERSION", version, false});
    }
    initialize(ex, *msg);
}

void EtlRoutes::onInitYaml(Http::Exchange ex)
{
    const QByteArray body = ex.body(); // stored as sent, byte for byte
    if (body.trimmed().startsWith('{'))
        return onInit(ex); // JSON sent to the seed path
    const Http::Request &req = ex.request();
    QString name = req.queryValue("name");
    if (name.isEmpty())
        name = req.queryValue("id");
    auto msg = Etl::InitMsg::fromPodYaml(body, name, req.queryValue("communication"));
    if (!msg)
        return ex.fail(msg.error());
    initialize(ex, *msg);
}

void EtlRoutes::initialize(Http::Exchange ex, const Etl::InitMsg &msg)
{
    m_service.init(msg, answerXid(ex));
}

void EtlRoutes::onList(Http::Exchange ex)
{
    m_service.list(answerJson<QList<Api::EtlSummary>>(ex, Api::encodeEtlSummaries));
}

void EtlRoutes::onDetails(Http::Exchange ex)
{
    const QString name = ex.param("etl");
    auto answer = answerJson<Api::EtlDetails>(ex, Api::encodeEtlDetails);
    // ?uuid=: the errors of one offline job (SDK Etl.view(job_id), `ais etl show errors`).
    const QString jobId = ex.request().queryValue(Api::Query::Uuid);
    if (!jobId.isEmpty())
        return m_service.jobDetails(name, jobId, answer);
    m_service.details(name, answer);
}

void EtlRoutes::onStop(Http::Exchange ex)
{
    m_service.stop(ex.param("etl"), answerOk(ex));
}

void EtlRoutes::onStart(Http::Exchange ex)
{
    m_service.start(ex.param("etl"), answerXid(ex));
}

void EtlRoutes::onDelete(Http::Exchange ex)
{
    m_service.remove(ex.param("etl"), answerOk(ex));
}

void EtlRoutes::onLogs(Http::Exchange ex)
{
    m_service.logs(ex.param("etl"), ex.param("target"),
                   answerJson<QList<Api::TargetLog>>(ex, Api::encodeTargetLogs));
}

void EtlRoutes::onHealth(Http::Exchange ex)
{
    m_service.health(ex.param("etl"),
                     answerJson<QList<Api::TargetHealth>>(ex, Api::encodeTargetHealth));
}

void EtlRoutes::onMetrics(Http::Exchange ex)
{
    m_service.metrics(ex.param("etl"),
                      answerJson<QList<Api::TargetMetrics>>(ex, Api::encodeTargetMetrics));
}

void EtlRoutes::onFailed(Http::Exchange ex)
{
    auto json = Api::parseObject(ex.body(), "etl failure report");
    if (!json)
        return ex.fail(json.error());
    m_service.instanceFailed(ex.param("etl"), Api::decodeEtlFailureReport(*json));
    ex.ok();
}

} // namespace Kiln::Proxy
