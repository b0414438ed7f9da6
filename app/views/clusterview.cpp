#include "app/views/clusterview.h"

#include "app/models/bucketmodel.h"
#include "app/models/clustermodel.h"

#include <QGroupBox>
#include <QHeaderView>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace Kiln::Console {
namespace {

QTableView *makeTable(QAbstractItemModel *model, QWidget *parent)
{
    auto *table = new QTableView(parent);
    table->setModel(model);
    table->verticalHeader()->hide();
    table->horizontalHeader()->setStretchLastSection(true);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setAlternatingRowColors(true);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    return table;
}

QGroupBox *group(const QString &title, QWidget *content, QWidget *parent)
{
    auto *box = new QGroupBox(title, parent);
    auto *layout = new QVBoxLayout(box);
    layout->addWidget(content);
    return box;
}

} // namespace

ClusterView::ClusterView(ClusterModel *nodes, BucketModel *buckets, QWidget *parent)
    : QWidget(parent)
    , m_nodes(makeTable(nodes, this))
    , m_buckets(makeTable(buckets, this))
{
    m_buckets->horizontalHeader()->setStretchLastSection(false);
    m_buckets->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(group(tr("Nodes"), m_nodes, split));
    split->addWidget(group(tr("Buckets"), m_buckets, split));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
}

} // namespace Kiln::Console
