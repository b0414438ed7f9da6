#include "tests/unit/service/proxy/faketarget.h"

#include "service/http/exchange.h"
#include "shared/api/etlwire.h"
#include "shared/api/wire.h"

namespace Kiln::Proxy::Tests {

FakeTarget::FakeTarget(QString id)
    : m_id(std::move(id))
{
    Http::Router &r = m_server.router();
    const QString etl = QStringLiteral("{etl}");
    r.add({"POST"}, Api::etlPath(Api::EtlPath::Begin), [this](Http::Exchange ex) {
        record("POST", ex.request().path());
        if (m_beginError.isEmpty())
            return ex.ok();
        ex.fail(400, makeError(ErrorCode::InvalidArgument, m_beginError));
    });
    r.add({"GET"}, Api::etlPath(Api::EtlPath::TargetList), [this](Http::Exchange ex) {
        record("GET", ex.request().path());
        ex.json(m_list);
    });
    for (const char *tail : {Api::EtlPath::Commit, Api::EtlPath::Abort, Api::EtlPath::TargetStop}) {
        r.add({"POST"}, Api::etlPath(etl, tail), [this](Http::Exchange ex) {
            record("POST", ex.request().path());
            ex.ok();
        });
    }
    r.add({"DELETE"}, Api::etlPath(etl, Api::EtlPath::Delete), [this](Http::Exchange ex) {
        record("DELETE", ex.request().path());
        ex.ok();
    });
    r.add({"PUT"}, QStringLiteral("/v1/daemon/etlmd"), [this](Http::Exchange ex) {
        record("PUT", ex.request().path());
        ex.ok();
    });
    m_port = m_server.listen(QHostAddress::LocalHost, 0).value();
}

Cluster::Snode FakeTarget::node() const
{
    return Cluster::Snode::make(m_id, Cluster::NodeType::Target, QStringLiteral("127.0.0.1"),
                                m_port);
}

bool FakeTarget::called(const QString &what) const
{
    return m_calls.contains(what);
}

void FakeTarget::record(const QByteArray &method, const QString &path)
{
    m_calls.append(QString::fromLatin1(method) + ' ' + path);
}

} // namespace Kiln::Proxy::Tests
