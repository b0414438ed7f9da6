#include "app/models/bucketmodel.h"

#include "app/models/etllistmodel.h"

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
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Name:
        return QStringLiteral("ais://%1").arg(b.name);
    case Objects:
        return b.objects < 0 ? tr("counting…") : QString::number(b.objects);
    case Bytes:
        return b.bytes < 0 ? QString() : formatBytes(b.bytes);
    }
    return {};
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

void BucketModel::setCount(const QString &bucket, qint64 objects, qint64 bytes)
{
    for (int i = 0; i < m_buckets.size(); ++i) {
        if (m_buckets.at(i).name == bucket) {
            m_buckets[i].objects = objects;
            m_buckets[i].bytes = bytes;
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
