#include "app/windows/mainwindow.h"

#include "app/dialogs/connectdialog.h"
#include "app/dialogs/etleditordialog.h"
#include "app/dialogs/offlinedialog.h"
#include "app/dialogs/previewdialog.h"
#include "app/models/bucketmodel.h"
#include "app/models/clustermodel.h"
#include "app/models/etllistmodel.h"
#include "app/models/targethealthmodel.h"
#include "app/views/clusterview.h"
#include "app/views/etldetailsview.h"
#include "app/views/logview.h"
#include "shared/api/apiclient.h"
#include "shared/cluster/urlscheme.h"

#include <QAction>
#include <QApplication>
#include <QDateTime>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

namespace Kiln::Console {

MainWindow::MainWindow(Api::ApiClient *api, QWidget *parent)
    : QMainWindow(parent)
    , m_api(api)
    , m_etls(new EtlListModel(this))
    , m_nodes(new ClusterModel(this))
    , m_buckets(new BucketModel(this))
    , m_session(new Session(api, m_etls, m_nodes, m_buckets, this))
    , m_filtered(new QSortFilterProxyModel(this))
    , m_banner(new QLabel(this))
    , m_connection(new QLabel(this))
    , m_actionStatus(new QLabel(this))
    , m_who(new QLabel(this))
    , m_denied(new QLabel(this))
    , m_tabs(new QTabWidget(this))
    , m_etlTabs(new QTabWidget(this))
    , m_filter(new QLineEdit(this))
    , m_table(new QTableView(this))
    , m_details(new EtlDetailsView(api, this))
    , m_logs(new LogView(api, this))
    , m_clusterView(new ClusterView(api, m_nodes, m_buckets, this))
    , m_countdown(new QTimer(this))
{
    setWindowTitle(tr("Kiln console"));
    m_filtered->setSourceModel(m_etls);
    m_filtered->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_filtered->setFilterKeyColumn(-1); // any column: name, stage, comm type, runtime
    m_filtered->setSortCaseSensitivity(Qt::CaseInsensitive);
    m_filtered->setSortRole(EtlListModel::SortRole);

    m_filter->setPlaceholderText(tr("Filter ETLs by name, stage, comm type or runtime (Ctrl+F)"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_filtered,
            &QSortFilterProxyModel::setFilterFixedString);

    setUpTable();
    buildLayout();
    createActions();
    createMenus();

    connectSession();

    // Sized for the screen it opens on: two thirds of it, never more than it.
    const QSize avail = screen() ? screen()->availableSize() : QSize(1280, 800);
    resize(QSize(avail.width() * 2 / 3, avail.height() * 3 / 4)
               .expandedTo(QSize(900, 600))
               .boundedTo(avail));
    updateActions();
}

void MainWindow::setUpTable()
{
    m_table->setModel(m_filtered);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(EtlListModel::Name, Qt::AscendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_table, &QWidget::customContextMenuRequested, this, &MainWindow::showContextMenu);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::onSelectionChanged);
    // A reset (new endpoint) or a vanished row drops the selection without selectionChanged.
    connect(m_filtered, &QAbstractItemModel::modelReset, this, &MainWindow::onSelectionChanged);
    connect(m_filtered, &QAbstractItemModel::rowsRemoved, this, &MainWindow::onSelectionChanged);
    connect(m_table, &QTableView::doubleClicked, this, [this] { m_etlTabs->setCurrentIndex(0); });
}

void MainWindow::buildLayout()
{
    // Connection banner: only shown while the proxy is unreachable.
    m_banner->setWordWrap(true);
    m_banner->setAutoFillBackground(true);
    m_banner->setMargin(8);
    QPalette bannerPal = m_banner->palette();
    bannerPal.setColor(QPalette::Window, QColor(0xb0, 0x30, 0x30));
    bannerPal.setColor(QPalette::WindowText, Qt::white);
    m_banner->setPalette(bannerPal);
    m_banner->hide();
    m_denied->setWordWrap(true);
    m_denied->setAutoFillBackground(true);
    m_denied->setMargin(8);
    m_denied->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QPalette deniedPal = m_denied->palette();
    deniedPal.setColor(QPalette::Window, QColor(0xc0, 0x80, 0x20));
    deniedPal.setColor(QPalette::WindowText, Qt::white);
    m_denied->setPalette(deniedPal);
    m_denied->hide();

    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(m_filter);
    leftLayout->addWidget(m_table, 1);
    m_etlTabs->addTab(m_details, tr("&Details"));
    m_etlTabs->addTab(m_logs, tr("&Logs"));
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(left);
    split->addWidget(m_etlTabs);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    split->setSizes({2000, 3000}); // proportions; the splitter scales them to its width
    m_tabs->addTab(split, tr("&ETLs"));
    m_tabs->addTab(m_clusterView, tr("&Cluster"));
    connect(m_clusterView, &ClusterView::contentChanged, m_session, &Session::refreshCluster);

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_banner);
    layout->addWidget(m_denied);
    layout->addWidget(m_tabs, 1);
    setCentralWidget(central);
    statusBar()->addPermanentWidget(m_who);
    statusBar()->addPermanentWidget(m_connection);
    statusBar()->addWidget(m_actionStatus, 1);
}

void MainWindow::connectSession()
{
    connect(m_session, &Session::connectionChanged, this, &MainWindow::onConnectionChanged);
    // The rates arrive after the list (EtlRatePoller): the details follow their ETL's row.
    connect(m_etls, &QAbstractItemModel::dataChanged, this, [this] {
        if (!m_details->etl().isEmpty())
            m_details->setRate(m_etls->rateOf(m_details->etl()));
    });
    connect(m_session, &Session::etlsRefreshed, this, [this] {
        updateActions();
        m_logs->setTargets(m_details->model()->targetIds());
    });
    connect(m_session, &Session::actionStarted, this,
            [this](const QString &name, Session::Action action) {
                m_actionStatus->setText(tr("%1 %2…").arg(Session::actionName(action), name));
            });
    connect(m_session, &Session::actionFinished, this,
            [this](const QString &name, Session::Action action, const QString &error) {
                m_actionStatus->setText(
                    error.isEmpty()
                        ? tr("%1 %2: done").arg(Session::actionName(action), name)
                        : tr("%1 %2 failed: %3").arg(Session::actionName(action), name, error));
            });
    connect(m_session, &Session::clusterIdentified, this, [this](const QString &uuid) {
        m_identity.setClusterId(uuid);
        m_clusterView->setIdentity(m_identity);
        updateActions();
    });
    connect(m_session, &Session::accessDenied, this, [this](const QString &message) {
        m_denied->setText(message);
        m_denied->setVisible(!message.isEmpty());
    });
    m_countdown->setInterval(1000);
    connect(m_countdown, &QTimer::timeout, this, &MainWindow::updateRetryCountdown);
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions()
{
    auto make
        = [this](const QString &text, const QKeySequence &key, const QString &tip, auto slot) {
              auto *a = new QAction(text, this);
              if (!key.isEmpty())
                  a->setShortcut(key);
              a->setToolTip(key.isEmpty() ? tip
                                          : QStringLiteral("%1 (%2)").arg(
                                              tip, key.toString(QKeySequence::NativeText)));
              a->setStatusTip(tip);
              connect(a, &QAction::triggered, this, slot);
              return a;
          };
    m_connectAct = make(tr("&Connect…"), QKeySequence(tr("Ctrl+K")), tr("Connect to a proxy"),
                        &MainWindow::showConnectDialog);
    m_refreshAct
        = make(tr("&Refresh"), QKeySequence::Refresh, tr("Refresh everything now"), [this] {
              m_session->refreshNow();
              m_session->refreshCluster();
          });
    m_newAct = make(tr("&New ETL…"), QKeySequence::New, tr("Define and init a new ETL"),
                    &MainWindow::newEtl);
    m_editAct = make(tr("&Edit ETL…"), QKeySequence(tr("Ctrl+E")),
                     tr("Edit the selected ETL's definition and replace it"), &MainWindow::editEtl);
    m_startAct = make(tr("&Start"), QKeySequence(tr("Ctrl+Shift+S")), tr("Start the selected ETL"),
                      [this] { runAction(Session::Action::Start, selectedEtl()); });
    m_stopAct = make(tr("S&top"), QKeySequence(tr("Ctrl+Shift+X")), tr("Stop the selected ETL"),
                     [this] { runAction(Session::Action::Stop, selectedEtl()); });
    m_restartAct
        = make(tr("Rest&art"), QKeySequence(tr("Ctrl+Shift+R")), tr("Restart the selected ETL"),
               [this] { runAction(Session::Action::Restart, selectedEtl()); });
    m_deleteAct = make(tr("&Delete…"), QKeySequence::Delete, tr("Delete the selected ETL"),
                       [this] { runAction(Session::Action::Delete, selectedEtl()); });
    m_previewAct = make(tr("&Preview transform…"), QKeySequence(tr("Ctrl+P")),
                        tr("Show an object before and after the ETL"), &MainWindow::showPreview);
    m_offlineAct = make(tr("&Offline transform…"), QKeySequence(tr("Ctrl+Shift+O")),
                        tr("Transform a bucket into another"), &MainWindow::showOffline);
    m_filterAct
        = make(tr("&Find"), QKeySequence::Find, tr("Filter the ETLs, or search the logs"), [this] {
              if (m_tabs->currentIndex() == 0 && m_etlTabs->currentWidget() == m_logs
                  && m_logs->isVisible())
                  m_logs->focusSearch();
              else
                  m_filter->setFocus();
          });
    m_logsAct = make(tr("Show &logs"), QKeySequence(tr("Ctrl+L")),
                     tr("Show the logs of the selected ETL"), [this] {
                         m_tabs->setCurrentIndex(0);
                         m_etlTabs->setCurrentWidget(m_logs);
                     });
    m_quitAct = make(tr("&Quit"), QKeySequence::Quit, tr("Quit the console"), &QWidget::close);
    // The delete key must not fire while typing in the filter box.
    m_deleteAct->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_table->addAction(m_deleteAct);
}

void MainWindow::createMenus()
{
    QMenu *cluster = menuBar()->addMenu(tr("C&luster"));
    cluster->addAction(m_connectAct);
    cluster->addAction(m_refreshAct);
    cluster->addSeparator();
    cluster->addAction(m_quitAct);
    QMenu *etl = menuBar()->addMenu(tr("&ETL"));
    for (QAction *a : {m_newAct, m_editAct, m_startAct, m_stopAct, m_restartAct, m_deleteAct})
        etl->addAction(a);
    etl->addSeparator();
    for (QAction *a : {m_previewAct, m_offlineAct, m_logsAct, m_filterAct})
        etl->addAction(a);
    QToolBar *bar = addToolBar(tr("Main"));
    bar->setObjectName(QStringLiteral("mainToolBar"));
    bar->setMovable(false);
    for (QAction *a : {m_connectAct, m_refreshAct, m_newAct, m_editAct, m_startAct, m_stopAct,
                       m_restartAct, m_deleteAct, m_previewAct, m_offlineAct})
        bar->addAction(a);
}

QAction *MainWindow::action(Session::Action action) const
{
    switch (action) {
    case Session::Action::Start:
        return m_startAct;
    case Session::Action::Stop:
        return m_stopAct;
    case Session::Action::Restart:
        return m_restartAct;
    case Session::Action::Delete:
        return m_deleteAct;
    }
    return nullptr;
}

void MainWindow::connectTo(const QUrl &url, const QString &token)
{
    if (!m_api)
        return;
    m_api->setEndpoint(url, token);
    // A cluster is all http or all https (AIS's net.http.use_https): the targets' URLs from its
    // map (their /metrics, the nodes view) take the proxy's scheme. The console reads them on
    // this thread only.
    Cluster::setUrlScheme(url.scheme() == QLatin1String("https") ? QStringLiteral("https")
                                                                 : QStringLiteral("http"));
    m_identity = Identity::fromToken(token);
    m_who->setText(m_identity.hasToken() ? tr("Logged in: %1").arg(m_identity.summary())
                                         : tr("No login"));
    m_who->setToolTip(m_identity.decodeError().isEmpty()
                          ? (m_identity.expiresAt() > 0
                                 ? tr("The token expires at %1")
                                       .arg(QDateTime::fromSecsSinceEpoch(m_identity.expiresAt())
                                                .toString(Qt::ISODate))
                                 : QString())
                          : m_identity.decodeError());
    m_clusterView->setIdentity(m_identity);
    m_denied->hide();
    m_banner->hide();
    m_connection->setText(tr("Connecting to %1…").arg(url.toString()));
    m_session->start();
    updateActions();
}

void MainWindow::connectWith(const Connection &connection)
{
    if (!m_api)
        return;
    if (auto tls = m_api->setTls(connection.tls); !tls)
        return showProblem(tr("Cannot use the TLS files: %1").arg(tls.error().message));
    if (connection.login != Connection::Login::Password)
        return connectTo(connection.url, connection.login == Connection::Login::Token
                                             ? connection.token
                                             : QString());
    m_connection->setText(
        tr("Logging in as %1 at %2…").arg(connection.user, connection.authnUrl.toString()));
    m_api->login(connection.authnUrl, connection.user, connection.password, this,
                 [this, connection](const Result<QString> &token) {
                     if (!token)
                         return showProblem(tr("Login as %1 at %2 failed: %3")
                                                .arg(connection.user,
                                                     connection.authnUrl.toString(),
                                                     token.error().message));
                     connectTo(connection.url, *token);
                 });
}

void MainWindow::showProblem(const QString &text)
{
    m_banner->setText(text);
    m_banner->show();
    m_connection->setText(tr("\u25CF Not connected"));
    m_connection->setStyleSheet(QStringLiteral("color: #d04040"));
}

void MainWindow::onConnectionChanged(bool connected, const QString &error)
{
    const QString url = m_api ? m_api->endpoint().toString() : QString();
    // What the list and details show is the last known state: greyed while it cannot be current.
    m_table->setEnabled(connected);
    m_details->setEnabled(connected);
    if (connected) {
        m_banner->hide();
        m_countdown->stop();
        m_connection->setText(tr("\u25CF Connected to %1").arg(url));
        m_connection->setStyleSheet(QStringLiteral("color: #30a050"));
    } else {
        m_banner->setText(tr("Cannot reach the proxy at %1: %2").arg(url, error));
        m_banner->show();
        m_countdown->start();
        updateRetryCountdown();
        m_connection->setStyleSheet(QStringLiteral("color: #d04040"));
    }
    updateActions();
}

void MainWindow::updateRetryCountdown()
{
    if (m_session->isConnected())
        return;
    const int secs = m_session->retryInSeconds();
    m_connection->setText(secs > 0 ? tr("\u25CF Disconnected — retrying in %1 s").arg(secs)
                                   : tr("\u25CF Disconnected — retrying now"));
}

QString MainWindow::selectedEtl() const
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return {};
    return rows.first().data(EtlListModel::NameRole).toString();
}

void MainWindow::selectEtl(const QString &name)
{
    const int row = m_etls->rowOf(name);
    if (row < 0)
        return;
    const QModelIndex index = m_filtered->mapFromSource(m_etls->index(row, 0));
    m_table->selectionModel()->select(
        index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_table->scrollTo(index);
}

void MainWindow::onSelectionChanged()
{
    const QString name = selectedEtl();
    m_details->setEtl(name);
    m_details->setRate(m_etls->rateOf(name));
    m_logs->setEtl(name);
    updateActions();
}

void MainWindow::updateActions()
{
    const QString name = selectedEtl();
    const bool up = m_session->isConnected();
    const Etl::Stage stage = m_etls->stageOf(name);
    const bool has = up && !name.isEmpty();
    m_startAct->setEnabled(has && stage == Etl::Stage::Aborted);
    m_stopAct->setEnabled(has && stage != Etl::Stage::Aborted);
    m_restartAct->setEnabled(has);
    m_deleteAct->setEnabled(has);
    m_editAct->setEnabled(has);
    m_newAct->setEnabled(up);
    m_previewAct->setEnabled(up && m_etls->rowCount() > 0);
    m_offlineAct->setEnabled(up && m_etls->rowCount() > 0);
    m_logsAct->setEnabled(!name.isEmpty());
    // What the token's user may not do is greyed out, saying why (AIS: ETLs need an admin; a
    // transform job writes into its destination bucket).
    const QString admin = m_identity.needsAdminText();
    for (QAction *a : {m_newAct, m_editAct, m_startAct, m_stopAct, m_restartAct, m_deleteAct})
        gate(a, m_identity.mayAdminister(), admin);
    gate(m_offlineAct, m_identity.mayWriteSomewhere(), m_identity.needsWriteText());
}

void MainWindow::gate(QAction *action, bool allowed, const QString &why)
{
    const auto tip = m_tips.constFind(action);
    const QString own = tip == m_tips.constEnd() ? *m_tips.insert(action, action->toolTip()) : *tip;
    action->setToolTip(allowed ? own : why);
    if (!allowed)
        action->setEnabled(false);
}

void MainWindow::showContextMenu(const QPoint &pos)
{
    const QModelIndex index = m_table->indexAt(pos);
    if (index.isValid())
        m_table->selectRow(index.row());
    auto *menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    for (QAction *a : {m_startAct, m_stopAct, m_restartAct})
        menu->addAction(a);
    menu->addSeparator();
    for (QAction *a : {m_editAct, m_logsAct, m_previewAct})
        menu->addAction(a);
    menu->addSeparator();
    menu->addAction(m_deleteAct);
    menu->popup(m_table->viewport()->mapToGlobal(pos));
}

void MainWindow::runAction(Session::Action action, const QString &name, bool confirmed)
{
    if (name.isEmpty())
        return;
    if (action != Session::Action::Delete || confirmed) {
        m_session->run(action, name);
        return;
    }
    auto *box = new QMessageBox(QMessageBox::Question, tr("Delete ETL"),
                                tr("Delete ETL %1? Its instances stop on every target and its "
                                   "definition is removed.")
                                    .arg(name),
                                QMessageBox::Yes | QMessageBox::Cancel, this);
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setObjectName(QStringLiteral("confirmDelete"));
    connect(box, &QMessageBox::finished, this, [this, box, name](int) {
        if (box->clickedButton() == box->button(QMessageBox::Yes))
            m_session->run(Session::Action::Delete, name);
    });
    box->open();
}

void MainWindow::showConnectDialog()
{
    auto *dialog = new ConnectDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this,
            [this, dialog] { connectWith(dialog->connection()); });
    dialog->open();
}

void MainWindow::newEtl()
{
    auto *dialog = new EtlEditorDialog(m_api, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &EtlEditorDialog::initialized, this, [this](const QString &name) {
        m_actionStatus->setText(tr("ETL %1 initialized").arg(name));
        m_session->refreshNow();
    });
    dialog->open();
}

void MainWindow::editEtl()
{
    const QString name = selectedEtl();
    if (name.isEmpty())
        return;
    auto *dialog = new EtlEditorDialog(m_api, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->loadFrom(name);
    connect(dialog, &EtlEditorDialog::initialized, this, [this](const QString &etl) {
        m_actionStatus->setText(tr("ETL %1 replaced").arg(etl));
        m_session->refreshNow();
    });
    dialog->open();
}

void MainWindow::showPreview()
{
    QStringList names;
    for (int row = 0; row < m_etls->rowCount(); ++row)
        names.append(m_etls->nameAt(row));
    auto *dialog = new PreviewDialog(m_api, names, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (!selectedEtl().isEmpty())
        dialog->setEtl(selectedEtl());
    dialog->open();
}

void MainWindow::showOffline()
{
    QStringList names;
    for (int row = 0; row < m_etls->rowCount(); ++row)
        names.append(m_etls->nameAt(row));
    auto *dialog = new OfflineDialog(m_api, names, m_buckets->names(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (!selectedEtl().isEmpty())
        dialog->setEtl(selectedEtl());
    connect(dialog, &OfflineDialog::jobFinished, this, [this] { m_session->refreshCluster(); });
    dialog->open();
}

} // namespace Kiln::Console
