#include "app/models/objectlistmodel.h"

#include "app/models/etllistmodel.h"

namespace Kiln::Console {

ObjectListModel::ObjectListModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

int ObjectListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_objects.size());
}

int ObjectListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ObjectListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_objects.size())
        return {};
    const Api::ObjectInfo &o = m_objects.at(index.row());
    if (role == Qt::DisplayRole)
        return index.column() == Name ? QVariant(o.name) : QVariant(formatBytes(o.size));
    if (role == Qt::TextAlignmentRole && index.column() == Size)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant ObjectListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    return section == Name ? tr("Object") : tr("Size");
}

void ObjectListModel::setObjects(const QString &bucket, const QList<Api::ObjectInfo> &objects)
{
    beginResetModel();
    m_bucket = bucket;
    m_objects = objects;
    endResetModel();
}

QString ObjectListModel::name(int row) const
{
    return row >= 0 && row < m_objects.size() ? m_objects.at(row).name : QString();
}

} // namespace Kiln::Console
