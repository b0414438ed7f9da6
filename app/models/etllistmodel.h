#pragma once

#include "app/models/etlrates.h"
#include "shared/api/apiclient.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QList>

#include <optional>

namespace Kiln::Console {

// The ETLs of the connected cluster, one row each, merged in place from successive
// GET /v1/etl answers (so selections survive a refresh) and completed with what each ETL's
// init message says (comm type, runtime). Lives on the GUI thread; does no networking: a
// Session feeds it.
class EtlListModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Name, Stage, CommType, Runtime, Age, Objects, Throughput, ErrorRate, ColumnCount };
    enum Role {
        StageRole = Qt::UserRole + 1,
        NameRole,
        SortRole, // numbers for Age and Objects, text otherwise
    };

    explicit EtlListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Replaces the list: rows are updated, appended or removed by name.
    void setEtls(const QList<Api::EtlSummary> &etls);
    // What the ETL's details say; ignored for a name not listed.
    void setDetails(const QString &name, const Api::EtlDetails &details);
    // Throughput and error rate from the targets' metrics (EtlRatePoller); ETLs not in rates
    // keep what they showed.
    void setRates(const QHash<QString, EtlRate> &rates);
    std::optional<EtlRate> rateOf(const QString &name) const;
    void clear();

    int rowOf(const QString &name) const;
    QString nameAt(int row) const;
    Etl::Stage stageOf(const QString &name) const;
    // Names whose details are missing or belong to an earlier run (another xaction id).
    QStringList namesNeedingDetails() const;

private:
    struct Row
    {
        Api::EtlSummary summary;
        QString detailsXid; // xaction id the details were fetched for
        bool hasDetails = false;
        QString commType;
        QString runtime;
        QString error;
        QDateTime firstSeen; // the list carries no creation time; see Age's tooltip
        bool hasRate = false;
        EtlRate rate;
    };
    void emitRowChanged(int row);

    QList<Row> m_rows;
};

// "3 s", "5 min", "2 h 10 min", "4 d".
QString formatAge(qint64 seconds);
// "0 B", "1.5 KiB", "20.0 MiB".
QString formatBytes(qint64 bytes);
// "12.5 obj/s · 1.2 MiB/s".
QString formatThroughput(const EtlRate &rate);
// "0 /s", "0.5 /s (4.8 %)".
QString formatErrorRate(const EtlRate &rate);

} // namespace Kiln::Console
