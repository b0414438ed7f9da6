#pragma once

#include <QWidget>

class QTableView;

namespace Kiln::Console {

class BucketModel;
class ClusterModel;

// Cluster overview: the proxy and targets with their state, the buckets with object counts.
class ClusterView final : public QWidget
{
    Q_OBJECT
public:
    ClusterView(ClusterModel *nodes, BucketModel *buckets, QWidget *parent = nullptr);

    QTableView *nodesTable() const { return m_nodes; }
    QTableView *bucketsTable() const { return m_buckets; }

private:
    QTableView *m_nodes;
    QTableView *m_buckets;
};

} // namespace Kiln::Console
