#include "app/views/clusterview.h"

#include "app/dialogs/bucketcopydialog.h"
#include "app/dialogs/objectactiondialog.h"
#include "app/models/bucketmodel.h"
#include "app/models/clustermodel.h"
#include "app/models/objectlistmodel.h"
#include "shared/api/apiclient.h"

#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace Kiln::Console {
namespace {

constexpr int MaxListed = 1000; // objects shown for the selected bucket
constexpr int RebalancePollMs = 1000;

QTableView *makeTable(QAbstractItemModel *model, QWidget *parent)
{
    auto *table = new QTableView(parent);
    table->setModel(model);
    table->verticalHeader()->hide();
    table->horizontalHeader()->setStretchLastSection(true);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->setAlternatingRowColors(true);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    return table;
}

QGroupBox *group(const QString &title, QWidget *content, QWidget *parent, QWidget *extra = nullptr)
{
    auto *box = new QGroupBox(title, parent);
    auto *layout = new QVBoxLayout(box);
    layout->addWidget(content);
    if (extra)
        layout->addWidget(extra);
    return box;
}

QString selectedText(QTableView *table, int column)
{
    const QModelIndexList rows = table->selectionModel()->selectedRows(column);
    return rows.isEmpty() ? QString() : rows.first().data().toString();
}

} // namespace

ClusterView::ClusterView(Api::ApiClient *api, ClusterModel *nodes, BucketModel *buckets,
                         QWidget *parent)
    : QWidget(parent)
    , m_api(api)
    , m_bucketModel(buckets)
    , m_objectModel(new ObjectListModel(this))
    , m_nodes(makeTable(nodes, this))
    , m_buckets(makeTable(buckets, this))
    , m_objects(makeTable(m_objectModel, this))
    , m_copyBucket(new QPushButton(tr("Copy &bucket…"), this))
    , m_copyObject(new QPushButton(tr("Cop&y object…"), this))
    , m_renameObject(new QPushButton(tr("Re&name object…"), this))
    , m_objectsStatus(new QLabel(this))
    , m_startMaintenance(new QPushButton(tr("Start &maintenance"), this))
    , m_stopMaintenance(new QPushButton(tr("S&top maintenance"), this))
    , m_decommission(new QPushButton(tr("&Decommission"), this))
    , m_rebalance(new QLabel(tr("rebalance: idle"), this))
    , m_rebalanceTimer(new QTimer(this))
{
    m_buckets->horizontalHeader()->setStretchLastSection(false);
    m_buckets->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    auto *bucketBar = new QWidget(this);
    auto *bucketRow = new QHBoxLayout(bucketBar);
    bucketRow->setContentsMargins(0, 0, 0, 0);
    bucketRow->addWidget(m_copyBucket);
    bucketRow->addStretch();
    auto *objectBar = new QWidget(this);
    auto *objectRow = new QHBoxLayout(objectBar);
    objectRow->setContentsMargins(0, 0, 0, 0);
    objectRow->addWidget(m_copyObject);
    objectRow->addWidget(m_renameObject);
    objectRow->addWidget(m_objectsStatus, 1);
    auto *nodeBar = new QWidget(this);
    auto *nodeRow = new QHBoxLayout(nodeBar);
    nodeRow->setContentsMargins(0, 0, 0, 0);
    for (QPushButton *b : {m_startMaintenance, m_stopMaintenance, m_decommission})
        nodeRow->addWidget(b);
    nodeRow->addWidget(m_rebalance, 1);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(group(tr("Nodes"), m_nodes, split, nodeBar));
    split->addWidget(group(tr("Buckets"), m_buckets, split, bucketBar));
    split->addWidget(group(tr("Objects of the selected bucket"), m_objects, split, objectBar));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
    connect(m_buckets->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &ClusterView::refreshObjects);
    connect(m_objects->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &ClusterView::updateButtons);
    connect(m_nodes->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &ClusterView::updateButtons);
    connect(m_startMaintenance, &QPushButton::clicked, this,
            [this] { nodeAction(QStringLiteral("start-maintenance")); });
    connect(m_stopMaintenance, &QPushButton::clicked, this,
            [this] { nodeAction(QStringLiteral("stop-maintenance")); });
    connect(m_decommission, &QPushButton::clicked, this,
            [this] { nodeAction(QStringLiteral("decommission-node")); });
    m_startMaintenance->setObjectName(QStringLiteral("startMaintenance"));
    m_stopMaintenance->setObjectName(QStringLiteral("stopMaintenance"));
    m_decommission->setObjectName(QStringLiteral("decommission"));
    m_copyBucket->setObjectName(QStringLiteral("copyBucket"));
    m_copyObject->setObjectName(QStringLiteral("copyObject"));
    m_renameObject->setObjectName(QStringLiteral("renameObject"));
    m_rebalanceTimer->setInterval(RebalancePollMs);
    connect(m_rebalanceTimer, &QTimer::timeout, this, &ClusterView::pollRebalance);
    connect(m_copyBucket, &QPushButton::clicked, this, [this] { copyBucket(); });
    connect(m_copyObject, &QPushButton::clicked, this, [this] { copyObject(); });
    connect(m_renameObject, &QPushButton::clicked, this, [this] { renameObject(); });
    updateButtons();
}

QString ClusterView::selectedBucket() const
{
    // The table shows "ais://name"; the model keeps the names.
    const QModelIndexList rows = m_buckets->selectionModel()->selectedRows();
    const QStringList names = m_bucketModel->names();
    return rows.isEmpty() || rows.first().row() >= names.size() ? QString()
                                                                : names.at(rows.first().row());
}

QString ClusterView::selectedObject() const
{
    return selectedText(m_objects, ObjectListModel::Name);
}

QString ClusterView::selectedNode() const
{
    // Only targets take node actions here (Kiln runs one proxy).
    if (selectedText(m_nodes, ClusterModel::Role) != QLatin1String("target"))
        return {};
    return selectedText(m_nodes, ClusterModel::Id);
}

QString ClusterView::rebalanceText() const
{
    return m_rebalance->text();
}

void ClusterView::nodeAction(const QString &action)
{
    const QString node = selectedNode();
    if (!m_api || node.isEmpty())
        return;
    m_rebalance->setText(tr("%1 %2…").arg(action, node));
    m_api->nodeAction(action, node, this, [this, action, node](const Result<QString> &id) {
        if (!id) {
            m_rebalance->setText(tr("%1 %2 failed: %3").arg(action, node, id.error().message));
            return Q_EMIT rebalanceUpdated();
        }
        m_rebalanceId = id->trimmed();
        m_rebalance->setText(tr("rebalance %1: starting").arg(m_rebalanceId));
        Q_EMIT nodesChanged();
        Q_EMIT rebalanceUpdated();
        m_rebalanceTimer->start();
    });
}

void ClusterView::pollRebalance()
{
    if (!m_api || m_rebalanceId.isEmpty())
        return m_rebalanceTimer->stop();
    const QString id = m_rebalanceId;
    m_api->jobStatus(id, this, [this, id](const Result<Api::JobStatus> &status) {
        if (!status || id != m_rebalanceId)
            return;
        m_api->jobStats(id, this, [this, id, status = *status](const Result<Api::JobStats> &st) {
            if (!st || id != m_rebalanceId)
                return;
            const QString state = status.aborted ? tr("stopped")
                                                 : status.finished() ? tr("finished")
                                                                     : tr("running");
            m_rebalance->setText(tr("rebalance %1: %2, %n object(s) moved, %3 KiB", nullptr,
                                    int(st->objects))
                                     .arg(id, state)
                                     .arg(st->bytes / 1024));
            if (status.finished()) {
                m_rebalanceTimer->stop();
                Q_EMIT nodesChanged();
            }
            Q_EMIT rebalanceUpdated();
        });
    });
}

void ClusterView::setIdentity(const Identity &identity)
{
    m_identity = identity;
    updateButtons();
}

void ClusterView::updateButtons()
{
    // Each button is enabled when it has its subject and the user the permission; a missing
    // permission is the tooltip.
    auto gate = [](QPushButton *b, bool subject, bool allowed, const QString &why) {
        b->setEnabled(subject && allowed);
        b->setToolTip(allowed ? QString() : why);
    };
    const bool node = !selectedNode().isEmpty();
    const bool admin = m_identity.mayAdminister();
    for (QPushButton *b : {m_startMaintenance, m_stopMaintenance, m_decommission})
        gate(b, node, admin, m_identity.needsAdminText());
    const QString bucket = selectedBucket();
    const bool anywhere = m_identity.mayWriteSomewhere();
    gate(m_copyBucket, !bucket.isEmpty(), anywhere, m_identity.needsWriteText());
    const bool object = !selectedObject().isEmpty();
    gate(m_copyObject, object, anywhere, m_identity.needsWriteText());
    // A rename writes the new name into the same bucket.
    gate(m_renameObject, object, m_identity.mayWrite(bucket), m_identity.needsWriteText(bucket));
}

void ClusterView::refreshObjects()
{
    updateButtons();
    const QString bucket = selectedBucket();
    if (!m_api || bucket.isEmpty()) {
        m_objectModel->setObjects({}, {});
        return;
    }
    m_objectsStatus->setText(tr("Listing %1…").arg(bucket));
    m_api->listObjects(
        bucket, {}, MaxListed, this, [this, bucket](const Result<QList<Api::ObjectInfo>> &objects) {
            if (bucket != selectedBucket())
                return; // another bucket was picked meanwhile
            if (!objects) {
                m_objectsStatus->setText(objects.error().message);
                return;
            }
            m_objectModel->setObjects(bucket, *objects);
            m_objectsStatus->setText(objects->size() >= MaxListed
                                         ? tr("the first %1 objects").arg(MaxListed)
                                         : tr("%n object(s)", nullptr, int(objects->size())));
            updateButtons();
            Q_EMIT objectsRefreshed();
        });
}

BucketCopyDialog *ClusterView::copyBucket()
{
    const QString bucket = selectedBucket();
    if (bucket.isEmpty())
        return nullptr;
    auto *dialog = new BucketCopyDialog(m_api, bucket, m_bucketModel->names(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &BucketCopyDialog::jobFinished, this, [this](bool ok) {
        if (ok)
            Q_EMIT contentChanged();
    });
    dialog->show();
    return dialog;
}

ObjectActionDialog *ClusterView::copyObject()
{
    const QString object = selectedObject();
    if (object.isEmpty())
        return nullptr;
    auto *dialog
        = new ObjectActionDialog(m_api, ObjectActionDialog::Mode::Copy, m_objectModel->bucket(),
                                 object, m_bucketModel->names(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ObjectActionDialog::done, this, &ClusterView::objectActionDone);
    dialog->show();
    return dialog;
}

ObjectActionDialog *ClusterView::renameObject()
{
    const QString object = selectedObject();
    if (object.isEmpty())
        return nullptr;
    auto *dialog
        = new ObjectActionDialog(m_api, ObjectActionDialog::Mode::Rename, m_objectModel->bucket(),
                                 object, m_bucketModel->names(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ObjectActionDialog::done, this, &ClusterView::objectActionDone);
    dialog->show();
    return dialog;
}

void ClusterView::objectActionDone(bool ok)
{
    if (!ok)
        return;
    refreshObjects();
    Q_EMIT contentChanged();
}

} // namespace Kiln::Console
