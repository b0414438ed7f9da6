#include "app/models/clustermodel.h"

#include <QColor>

namespace Kiln::Console {

ClusterModel::ClusterModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

int ClusterModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_nodes.size());
}

int ClusterModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ClusterModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_nodes.size())
        return {};
    const Node &n = m_nodes.at(index.row());
    if (role == Qt::ForegroundRole && index.column() == State)
        return n.state == QLatin1String("online") ? QColor(0x30, 0xa0, 0x50)
                                                  : QColor(0xd0, 0x40, 0x40);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Id:
        return n.node.id;
    case Role:
        return n.node.type == Cluster::NodeType::Proxy ? tr("proxy (primary)") : tr("target");
    case Url:
        return n.node.url();
    case State:
        return n.state;
    }
    return {};
}

QVariant ClusterModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Id:
        return tr("Node");
    case Role:
        return tr("Role");
    case Url:
        return tr("URL");
    case State:
        return tr("State");
    }
    return {};
}

void ClusterModel::setSmap(const Cluster::Smap &smap)
{
    beginResetModel();
    m_nodes.clear();
    m_version = smap.version();
    m_nodes.append({smap.primary(), QStringLiteral("online")});
    for (const Cluster::Snode &t : smap.targets())
        m_nodes.append(
            {t, t.inMaintenance() ? QStringLiteral("maintenance") : QStringLiteral("online")});
    endResetModel();
}

void ClusterModel::setUnreachable()
{
    for (Node &n : m_nodes)
        n.state = QStringLiteral("unknown (proxy unreachable)");
    if (!m_nodes.isEmpty())
        Q_EMIT dataChanged(index(0, State), index(int(m_nodes.size()) - 1, State));
}

} // namespace Kiln::Console
