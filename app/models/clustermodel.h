#pragma once

#include "shared/cluster/smap.h"

#include <QAbstractTableModel>
#include <QList>
#include <QSet>

namespace Kiln::Console {

// The proxy and the targets of the cluster map, with their state: "online" while the map lists
// them, "maintenance" when flagged, "offline" when the proxy itself does not answer.
class ClusterModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Id, Role, Url, State, ColumnCount };

    explicit ClusterModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void setSmap(const Cluster::Smap &smap);
    // The proxy stopped answering: every node is shown as unknown until the next map.
    void setUnreachable();
    qint64 smapVersion() const { return m_version; }

private:
    struct Node
    {
        Cluster::Snode node;
        QString state;
    };
    QList<Node> m_nodes;
    qint64 m_version = 0;
};

} // namespace Kiln::Console
