#include "shared/etl/etlmd.h"

#include "shared/api/json.h"

#include <QJsonArray>

namespace Kiln::Etl {

QJsonObject EtlRecord::toJson() const
{
    QJsonObject errors;
    for (auto it = targetErrors.begin(); it != targetErrors.end(); ++it)
        errors.insert(it.key(), it.value());
    return QJsonObject{{"init_msg", msg.toJson()},
                       {"stage", stageName(stage)},
                       {"xid", xid},
                       {"secret", secret},
                       {"error", error},
                       {"target_errors", errors},
                       {"created", createdNs}};
}

Result<EtlRecord> EtlRecord::fromJson(const QJsonObject &json)
{
    EtlRecord r;
    auto msg = InitMsg::fromJson(Api::compact(json.value("init_msg").toObject()));
    if (!msg)
        return msg.error();
    r.msg = *msg;
    r.stage = parseStage(json.value("stage").toString());
    r.xid = json.value("xid").toString();
    r.secret = json.value("secret").toString();
    r.error = json.value("error").toString();
    const QJsonObject errors = json.value("target_errors").toObject();
    for (auto it = errors.begin(); it != errors.end(); ++it)
        r.targetErrors.insert(it.key(), it.value().toString());
    r.createdNs = json.value("created").toInteger();
    return r;
}

const EtlRecord *EtlMd::find(const QString &name) const
{
    const auto it = m_records.constFind(name);
    return it == m_records.constEnd() ? nullptr : &*it;
}

EtlRecord *EtlMd::find(const QString &name)
{
    const auto it = m_records.find(name);
    return it == m_records.end() ? nullptr : &*it;
}

void EtlMd::put(const EtlRecord &record)
{
    m_records.insert(record.msg.name, record);
    ++m_version;
}

bool EtlMd::remove(const QString &name)
{
    if (m_records.remove(name) == 0)
        return false;
    ++m_version;
    return true;
}

QJsonObject EtlMd::toJson() const
{
    QJsonArray list;
    for (const EtlRecord &r : m_records)
        list.append(r.toJson());
    return QJsonObject{{"version", m_version}, {"etls", list}};
}

Result<EtlMd> EtlMd::fromJson(const QJsonObject &json)
{
    EtlMd md;
    md.m_version = json.value("version").toInteger();
    for (const QJsonValue &v : json.value("etls").toArray()) {
        auto r = EtlRecord::fromJson(v.toObject());
        if (!r)
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("etl metadata: %1").arg(r.error().message));
        md.m_records.insert(r->msg.name, *r);
    }
    return md;
}

} // namespace Kiln::Etl
