#pragma once

#include "app/models/identity.h"

#include <QPointer>
#include <QWidget>

class QLabel;
class QPushButton;
class QTableView;
class QTimer;

namespace Kiln::Api {
class ApiClient;
}

namespace Kiln::Console {

class BucketModel;
class ClusterModel;
class ObjectListModel;

// Cluster overview: the proxy and targets with their state, the buckets with object counts, and
// the objects of the selected bucket. Buckets can be copied (a job with progress); objects can
// be copied and renamed. Talks to the cluster through the ApiClient only.
class ClusterView final : public QWidget
{
    Q_OBJECT
public:
    ClusterView(Api::ApiClient *api, ClusterModel *nodes, BucketModel *buckets,
                QWidget *parent = nullptr);

    QTableView *nodesTable() const { return m_nodes; }
    QTableView *bucketsTable() const { return m_buckets; }
    QTableView *objectsTable() const { return m_objects; }
    ObjectListModel *objectsModel() const { return m_objectModel; }
    QString selectedBucket() const;
    QString selectedObject() const;
    // Greys out what the token's user may not do: node actions need an admin, copies and
    // renames write permission (the buttons are named startMaintenance, stopMaintenance,
    // decommission, copyBucket, copyObject and renameObject).
    void setIdentity(const Identity &identity);

    // The actions of the buttons; each opens its dialog (returned, so tests can drive it).
    class BucketCopyDialog *copyBucket();
    class ObjectActionDialog *copyObject();
    class ObjectActionDialog *renameObject();
    void refreshObjects();
    // A target action (AIS's start-maintenance, stop-maintenance, decommission-node) on the
    // selected target; the rebalance it starts is followed in rebalanceText().
    void nodeAction(const QString &action);
    QString rebalanceText() const;
    QString selectedNode() const;

Q_SIGNALS:
    // A node action changed the cluster map; rebalance progress changed.
    void nodesChanged();
    void rebalanceUpdated();
    // A copy, rename or bucket copy changed the cluster's buckets or objects.
    void contentChanged();
    void objectsRefreshed();

private:
    void updateButtons();
    void objectActionDone(bool ok);
    void pollRebalance();

    QPointer<Api::ApiClient> m_api;
    BucketModel *m_bucketModel;
    ObjectListModel *m_objectModel;
    QTableView *m_nodes;
    QTableView *m_buckets;
    QTableView *m_objects;
    QPushButton *m_copyBucket;
    QPushButton *m_copyObject;
    QPushButton *m_renameObject;
    QLabel *m_objectsStatus;
    QPushButton *m_startMaintenance;
    QPushButton *m_stopMaintenance;
    QPushButton *m_decommission;
    QLabel *m_rebalance; // the followed rebalance: id, state, objects and bytes moved
    QString m_rebalanceId;
    QTimer *m_rebalanceTimer;
    Identity m_identity;
};

} // namespace Kiln::Console
