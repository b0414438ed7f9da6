#include "app/models/targethealthmodel.h"

#include "app/models/etllistmodel.h"

#include <QColor>

namespace Kiln::Console {

TargetHealthModel::TargetHealthModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

int TargetHealthModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TargetHealthModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TargetHealthModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const Row &r = m_rows.at(index.row());
    const bool limited = r.hasMetrics && r.metrics.memLimitBytes > 0;
    if (role == Qt::ForegroundRole && index.column() == Health) {
        if (r.health == QLatin1String("Running"))
            return QColor(0x30, 0xa0, 0x50);
        if (!r.health.isEmpty())
            return QColor(0xd0, 0x40, 0x40);
        return {};
    }
    if (role == Qt::ToolTipRole && index.column() == Errors)
        return r.error;
    if (role == Qt::TextAlignmentRole && index.column() >= Cpu && index.column() <= MemoryOfLimit)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::UserRole) { // raw numbers, for tests and sorting
        switch (index.column()) {
        case Cpu:
            return r.metrics.cpuCores * 100.0;
        case Memory:
            return r.metrics.memBytes;
        case MemoryOfLimit:
            return limited ? 100.0 * double(r.metrics.memBytes) / r.metrics.memLimitBytes
                           : QVariant();
        default:
            return data(index, Qt::DisplayRole);
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Target:
        return r.targetId;
    case Health:
        return r.health.isEmpty() ? tr("…") : r.health;
    case Cpu:
        return r.hasMetrics ? QStringLiteral("%1 %").arg(r.metrics.cpuCores * 100.0, 0, 'f', 1)
                            : QString();
    case Memory:
        return r.hasMetrics ? formatBytes(r.metrics.memBytes) : QString();
    case MemoryOfLimit:
        if (!r.hasMetrics)
            return QString();
        if (!limited)
            return tr("no limit");
        return QStringLiteral("%1 % of %2")
            .arg(100.0 * double(r.metrics.memBytes) / r.metrics.memLimitBytes, 0, 'f', 1)
            .arg(formatBytes(r.metrics.memLimitBytes));
    case Stage:
        return Etl::stageName(m_stage);
    case Errors:
        return r.error;
    }
    return {};
}

QVariant TargetHealthModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Target:
        return tr("Target");
    case Health:
        return tr("Health");
    case Cpu:
        return tr("CPU");
    case Memory:
        return tr("Memory");
    case MemoryOfLimit:
        return tr("Memory / limit");
    case Stage:
        return tr("Stage");
    case Errors:
        return tr("Errors");
    }
    return {};
}

TargetHealthModel::Row &TargetHealthModel::rowFor(const QString &targetId)
{
    for (Row &r : m_rows) {
        if (r.targetId == targetId)
            return r;
    }
    // Sorted by id, as the proxy sorts its fan-out answers.
    int at = 0;
    while (at < m_rows.size() && m_rows.at(at).targetId < targetId)
        ++at;
    beginInsertRows({}, at, at);
    Row r;
    r.targetId = targetId;
    m_rows.insert(at, r);
    endInsertRows();
    return m_rows[at];
}

void TargetHealthModel::setHealth(const QList<Api::TargetHealth> &health)
{
    for (const Api::TargetHealth &h : health)
        rowFor(h.targetId).health = h.status;
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

void TargetHealthModel::setMetrics(const QList<Api::TargetMetrics> &metrics)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const Api::TargetMetrics &m : metrics) {
        Row &r = rowFor(m.targetId);
        r.metrics = m;
        r.hasMetrics = true;
        r.history.append({now, m.cpuCores * 100.0, m.memBytes});
        while (!r.history.isEmpty() && r.history.first().msecs < now - m_historySpan)
            r.history.removeFirst();
    }
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
    Q_EMIT historyChanged();
}

void TargetHealthModel::setDetails(const Api::EtlDetails &details)
{
    m_stage = details.stage;
    for (Row &r : m_rows)
        r.error = details.targetErrors.value(r.targetId);
    for (auto it = details.targetErrors.begin(); it != details.targetErrors.end(); ++it)
        rowFor(it.key()).error = it.value();
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

void TargetHealthModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_stage = Etl::Stage::Unknown;
    endResetModel();
    Q_EMIT historyChanged();
}

QStringList TargetHealthModel::targetIds() const
{
    QStringList out;
    for (const Row &r : m_rows)
        out.append(r.targetId);
    return out;
}

QList<TargetHealthModel::Sample> TargetHealthModel::history(const QString &targetId) const
{
    for (const Row &r : m_rows) {
        if (r.targetId == targetId)
            return r.history;
    }
    return {};
}

} // namespace Kiln::Console
