#include "app/models/bucketmodel.h"

#include "app/models/etllistmodel.h"

#include <QColor>

#include <algorithm>

namespace Kiln::Console {

BucketModel::BucketModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

int BucketModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_buckets.size());
}

int BucketModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant BucketModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_buckets.size())
        return {};
    const Bucket &b = m_buckets.at(index.row());
    if (role == Qt::TextAlignmentRole && index.column() != Name)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::UserRole && index.column() == Objects)
        return b.objects;
    if (role == Qt::UserRole && index.column() == Lacking)
        return lacking(b);
    if (role == Qt::ForegroundRole && index.column() == Lacking && lacking(b) > 0)
        return QColor(Qt::red);
    if (role == Qt::ToolTipRole && index.column() == Lacking)
        return tr("Objects with fewer copies on their target than the bucket's mirror.copies "
                  "(erasure-coded buckets: their slices are not counted here)");
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Name:
        return QStringLiteral("ais://%1").arg(b.name);
    case Objects:
        return b.objects < 0 ? tr("counting…") : QString::number(b.objects);
    case Bytes:
        return b.bytes < 0 ? QString() : formatBytes(b.bytes);
    case Redundancy:
        return b.redundancy;
    case Lacking: {
        const qint64 n = lacking(b);
        return n < 0 ? QString() : QString::number(n);
    }
    }
    return {};
}

qint64 BucketModel::lacking(const Bucket &b) const
{
    if (b.wantedCopies <= 0 || b.objects < 0)
        return -1;
    return std::count_if(b.copies.begin(), b.copies.end(),
                         [&b](int c) { return c < b.wantedCopies; });
}

QVariant BucketModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Name:
        return tr("Bucket");
    case Objects:
        return tr("Objects");
    case Bytes:
        return tr("Size");
    case Redundancy:
        return tr("Redundancy");
    case Lacking:
        return tr("Lacking copies");
    }
    return {};
}

void BucketModel::setBuckets(const QStringList &names)
{
    QList<Bucket> next;
    for (const QString &name : names) {
        Bucket b{name};
        for (const Bucket &old : m_buckets) {
            if (old.name == name)
                b = old; // keep the last count until the new one arrives
        }
        next.append(b);
    }
    // The same buckets again (every poll): no reset, so a selection in the view stays.
    if (names == this->names()) {
        m_buckets = next;
        if (!m_buckets.isEmpty())
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    m_buckets = next;
    endResetModel();
}

void BucketModel::setCount(const QString &bucket, qint64 objects, qint64 bytes,
                           const QList<int> &copiesPerObject)
{
    for (int i = 0; i < m_buckets.size(); ++i) {
        if (m_buckets.at(i).name == bucket) {
            m_buckets[i].objects = objects;
            m_buckets[i].bytes = bytes;
            m_buckets[i].copies = copiesPerObject;
            Q_EMIT dataChanged(index(i, 0), index(i, ColumnCount - 1));
        }
    }
}

void BucketModel::setRedundancy(const Api::BucketProps &props)
{
    QString text = tr("none");
    if (props.ec.enabled)
        text = tr("EC %1+%2").arg(props.ec.dataSlices).arg(props.ec.paritySlices);
    else if (props.mirrorEnabled)
        text = tr("mirror ×%1").arg(props.mirrorCopies);
    for (int i = 0; i < m_buckets.size(); ++i) {
        if (m_buckets.at(i).name == props.name) {
            m_buckets[i].redundancy = text;
            // EC slices live on other targets and are not in the listing: not counted here.
            m_buckets[i].wantedCopies = props.ec.enabled ? 0 : props.effectiveCopies();
            Q_EMIT dataChanged(index(i, 0), index(i, ColumnCount - 1));
        }
    }
}

QStringList BucketModel::names() const
{
    QStringList out;
    for (const Bucket &b : m_buckets)
        out.append(b.name);
    return out;
}

} // namespace Kiln::Console
