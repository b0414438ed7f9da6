#include "app/models/etllistmodel.h"

#include "shared/etl/initmsg.h"

#include <QGuiApplication>
#include <QJsonDocument>
#include <QPalette>

namespace Kiln::Console {

QString formatAge(qint64 seconds)
{
    if (seconds < 60)
        return QStringLiteral("%1 s").arg(seconds);
    if (seconds < 3600)
        return QStringLiteral("%1 min").arg(seconds / 60);
    if (seconds < 86400)
        return QStringLiteral("%1 h %2 min").arg(seconds / 3600).arg(seconds % 3600 / 60);
    return QStringLiteral("%1 d").arg(seconds / 86400);
}

QString formatBytes(qint64 bytes)
{
    static const char *units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (bytes < 1024)
        return QStringLiteral("%1 B").arg(bytes);
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < 3) {
        value /= 1024;
        ++unit;
    }
    return QStringLiteral("%1 %2").arg(value, 0, 'f', 1).arg(QLatin1String(units[unit]));
}

QString formatThroughput(const EtlRate &rate)
{
    return QStringLiteral("%1 obj/s · %2/s")
        .arg(rate.objectsPerSec, 0, 'f', 1)
        .arg(formatBytes(qint64(rate.bytesOutPerSec)));
}

QString formatErrorRate(const EtlRate &rate)
{
    if (rate.errorsPerSec <= 0)
        return QStringLiteral("0 /s");
    return QStringLiteral("%1 /s (%2 %)")
        .arg(rate.errorsPerSec, 0, 'f', 1)
        .arg(rate.errorRatio() * 100, 0, 'f', 1);
}

EtlListModel::EtlListModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

int EtlListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int EtlListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EtlListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const Row &r = m_rows.at(index.row());
    if (role == NameRole)
        return r.summary.name;
    if (role == StageRole)
        return int(r.summary.stage);
    if (role == SortRole) {
        if (index.column() == Age)
            return r.firstSeen.toMSecsSinceEpoch() * -1; // older first when ascending
        if (index.column() == Objects)
            return r.summary.objCount;
        if (index.column() == Throughput)
            return r.rate.objectsPerSec;
        if (index.column() == ErrorRate)
            return r.rate.errorsPerSec;
        return data(index, Qt::DisplayRole);
    }
    if (role == Qt::ToolTipRole) {
        if (index.column() == Age)
            return tr("Time since this console first listed the ETL (the AIS list API carries "
                      "no creation time)");
        if (index.column() == Throughput || index.column() == ErrorRate)
            return tr("Over the last poll, summed over the targets' kiln_etl_* metrics");
        if (!r.error.isEmpty())
            return r.error;
        return {};
    }
    if (role == Qt::ForegroundRole && index.column() == Stage) {
        // Colours that read on both light and dark palettes.
        if (r.summary.stage == Etl::Stage::Aborted)
            return QColor(0xd0, 0x40, 0x40);
        if (r.summary.stage == Etl::Stage::Running)
            return QColor(0x30, 0xa0, 0x50);
        return {};
    }
    if (role == Qt::ForegroundRole && index.column() == ErrorRate && r.rate.errorsPerSec > 0)
        return QColor(0xd0, 0x40, 0x40);
    if (role == Qt::TextAlignmentRole && index.column() >= Objects)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Name:
        return r.summary.name;
    case Stage:
        return Etl::stageName(r.summary.stage);
    case CommType:
        return r.commType;
    case Runtime:
        return r.runtime;
    case Age:
        return formatAge(r.firstSeen.secsTo(QDateTime::currentDateTimeUtc()));
    case Objects:
        return r.summary.objCount;
    case Throughput:
        return r.hasRate ? formatThroughput(r.rate) : QStringLiteral("–");
    case ErrorRate:
        return r.hasRate ? formatErrorRate(r.rate) : QStringLiteral("–");
    }
    return {};
}

QVariant EtlListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Name:
        return tr("Name");
    case Stage:
        return tr("Stage");
    case CommType:
        return tr("Comm type");
    case Runtime:
        return tr("Runtime");
    case Age:
        return tr("Age");
    case Objects:
        return tr("Objects");
    case Throughput:
        return tr("Throughput");
    case ErrorRate:
        return tr("Errors");
    }
    return {};
}

void EtlListModel::setRates(const QHash<QString, EtlRate> &rates)
{
    for (int row = 0; row < m_rows.size(); ++row) {
        auto it = rates.constFind(m_rows.at(row).summary.name);
        if (it == rates.cend())
            continue;
        m_rows[row].hasRate = true;
        m_rows[row].rate = *it;
        Q_EMIT dataChanged(index(row, Throughput), index(row, ErrorRate));
    }
}

std::optional<EtlRate> EtlListModel::rateOf(const QString &name) const
{
    const int row = rowOf(name);
    if (row < 0 || !m_rows.at(row).hasRate)
        return std::nullopt;
    return m_rows.at(row).rate;
}

void EtlListModel::setEtls(const QList<Api::EtlSummary> &etls)
{
    // Remove rows that are gone, back to front so indices stay valid.
    for (int row = int(m_rows.size()) - 1; row >= 0; --row) {
        const QString &name = m_rows.at(row).summary.name;
        const bool listed = std::any_of(etls.begin(), etls.end(),
                                        [&](const Api::EtlSummary &e) { return e.name == name; });
        if (!listed) {
            beginRemoveRows({}, row, row);
            m_rows.removeAt(row);
            endRemoveRows();
        }
    }
    for (const Api::EtlSummary &e : etls) {
        const int row = rowOf(e.name);
        if (row >= 0) {
            m_rows[row].summary = e;
            emitRowChanged(row);
            continue;
        }
        Row r;
        r.summary = e;
        r.firstSeen = QDateTime::currentDateTimeUtc();
        beginInsertRows({}, int(m_rows.size()), int(m_rows.size()));
        m_rows.append(r);
        endInsertRows();
    }
}

void EtlListModel::setDetails(const QString &name, const Api::EtlDetails &details)
{
    const int row = rowOf(name);
    if (row < 0)
        return;
    Row &r = m_rows[row];
    r.hasDetails = true;
    r.detailsXid = r.summary.xactionId;
    r.error = details.error;
    // The stored message is the validated one; the shared parser reads every form of it.
    const auto msg = Etl::InitMsg::fromJson(QJsonDocument(details.initMsg).toJson());
    if (msg) {
        r.commType = Etl::commTypeName(msg->comm);
        r.runtime = msg->kind == Etl::InitKind::Code ? msg->codeRuntime : msg->effectiveImage();
    } else {
        r.commType = details.initMsg.value("communication").toString();
        r.runtime.clear();
    }
    emitRowChanged(row);
}

void EtlListModel::clear()
{
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

int EtlListModel::rowOf(const QString &name) const
{
    for (int i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).summary.name == name)
            return i;
    }
    return -1;
}

QString EtlListModel::nameAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row).summary.name : QString();
}

Etl::Stage EtlListModel::stageOf(const QString &name) const
{
    const int row = rowOf(name);
    return row < 0 ? Etl::Stage::Unknown : m_rows.at(row).summary.stage;
}

QStringList EtlListModel::namesNeedingDetails() const
{
    QStringList out;
    for (const Row &r : m_rows) {
        if (!r.hasDetails || r.detailsXid != r.summary.xactionId)
            out.append(r.summary.name);
    }
    return out;
}

void EtlListModel::emitRowChanged(int row)
{
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

} // namespace Kiln::Console
