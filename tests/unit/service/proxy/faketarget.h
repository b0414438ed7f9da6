#pragma once

#include "service/http/httpserver.h"
#include "shared/cluster/snode.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace Kiln::Proxy::Tests {

// A target as the proxy's ETL service sees it: a real Http::HttpServer on 127.0.0.1 that
// answers the intra-cluster ETL calls (_begin, _commit, _abort, _stop, _delete, _list and the
// etlmd push) and records every call it got, in order ("POST /v1/etl/_begin").
class FakeTarget final
{
public:
    explicit FakeTarget(QString id);

    Cluster::Snode node() const;
    const QStringList &calls() const { return m_calls; }
    bool called(const QString &what) const;
    // Phase 1 fails here with this AIS error (status 400) instead of answering 200.
    void failBegin(const QString &message) { m_beginError = message; }
    // What GET /v1/etl/_list answers.
    void setListAnswer(QByteArray body) { m_list = std::move(body); }

private:
    void record(const QByteArray &method, const QString &path);

    QString m_id;
    Http::HttpServer m_server;
    quint16 m_port = 0;
    QStringList m_calls;
    QString m_beginError;
    QByteArray m_list = "[]";
};

} // namespace Kiln::Proxy::Tests
