#pragma once

#include "shared/core/result.h"
#include "shared/etl/initmsg.h"
#include "shared/etl/stage.h"

#include <QJsonObject>
#include <QMap>
#include <QString>

namespace Kiln::Etl {

// AIS keeps the first 128 transformation errors per ETL or job.
inline constexpr int MaxObjErrors = 128;

// One ETL as the cluster knows it: its init message, stage, the id of its current run, the
// secret its instances use to read objects back, and why it stopped (when it did).
struct EtlRecord
{
    InitMsg msg;
    Stage stage = Stage::Initializing;
    QString xid;             // "etl-<id>": one per init/start
    QString secret;          // authorises /v1/etl/_object/<name>/<secret>/... on targets
    QString error;           // why it is Aborted ("" after a user stop)
    QMap<QString, QString> targetErrors; // target id -> its error
    qint64 createdNs = 0;

    QJsonObject toJson() const;
    static Result<EtlRecord> fromJson(const QJsonObject &json);
};

// ETL metadata: every ETL by name, versioned. The primary proxy owns it, persists it and pushes
// it to the targets, which start and stop their instances to match.
class EtlMd
{
public:
    qint64 version() const { return m_version; }
    const QMap<QString, EtlRecord> &records() const { return m_records; }
    const EtlRecord *find(const QString &name) const;
    EtlRecord *find(const QString &name);
    void put(const EtlRecord &record);
    bool remove(const QString &name);
    void touch() { ++m_version; }

    QJsonObject toJson() const;
    static Result<EtlMd> fromJson(const QJsonObject &json);

private:
    qint64 m_version = 0;
    QMap<QString, EtlRecord> m_records;
};

} // namespace Kiln::Etl
