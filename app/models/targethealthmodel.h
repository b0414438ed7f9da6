#pragma once

#include "shared/api/apiclient.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QList>
#include <QPointF>

namespace Kiln::Console {

// Per-target state of one ETL: health, CPU, memory against its limit, stage and errors, plus a
// bounded history of CPU and memory samples for the charts. Fed by EtlDetailsView's polling
// (health, metrics and details answers arrive separately and are merged by target id).
class TargetHealthModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Target, Health, Cpu, Memory, MemoryOfLimit, Stage, Errors, ColumnCount };

    struct Sample
    {
        qint64 msecs = 0; // since the epoch
        double cpuPercent = 0;
        qint64 memBytes = 0;
    };

    explicit TargetHealthModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void setHealth(const QList<Api::TargetHealth> &health);
    // Also appends one history sample per target, stamped now.
    void setMetrics(const QList<Api::TargetMetrics> &metrics);
    void setDetails(const Api::EtlDetails &details);
    void clear();

    QStringList targetIds() const;
    QList<Sample> history(const QString &targetId) const;
    // How long a history is kept.
    void setHistorySpan(qint64 msecs) { m_historySpan = msecs; }
    qint64 historySpan() const { return m_historySpan; }

Q_SIGNALS:
    void historyChanged();

private:
    struct Row
    {
        QString targetId;
        QString health;
        bool hasMetrics = false;
        Api::TargetMetrics metrics;
        QString error;
        QList<Sample> history;
    };
    Row &rowFor(const QString &targetId);

    QList<Row> m_rows;
    Etl::Stage m_stage = Etl::Stage::Unknown;
    qint64 m_historySpan = 5 * 60 * 1000;
};

} // namespace Kiln::Console
