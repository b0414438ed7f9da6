#pragma once

#include "app/models/connection.h"
#include "app/models/identity.h"
#include "app/models/session.h"

#include <QMainWindow>
#include <QHash>
#include <QPointer>

class QAction;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;
class QTimer;

namespace Kiln::Api {
class ApiClient;
}

namespace Kiln::Console {

class BucketModel;
class ClusterModel;
class ClusterView;
class EtlDetailsView;
class EtlListModel;
class LogView;

// The console's main window: connection banner and status, the ETL list with filter and
// context actions, details and logs of the selected ETL, the cluster overview, and the dialogs.
// It wires models and views; the Session and the views' own polling do the talking.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(Api::ApiClient *api, QWidget *parent = nullptr);
    ~MainWindow() override;

    void connectTo(const QUrl &url, const QString &token);
    // Applies the TLS files, logs in at AuthN when the connection has a user and password
    // (asynchronously), then connectTo() with the token. A file that does not load or a
    // failed login shows in the banner and leaves the client as it was.
    void connectWith(const Connection &connection);
    // Who the token says the user is (display and greying only: the cluster decides).
    const Identity &identity() const { return m_identity; }
    QLabel *identityLabel() const { return m_who; }
    // Shown while the cluster refuses requests with 401 or 403 (its AIS message).
    QLabel *accessBanner() const { return m_denied; }

    Session *session() const { return m_session; }
    EtlListModel *etlModel() const { return m_etls; }
    QTableView *etlTable() const { return m_table; }
    QLineEdit *filterBox() const { return m_filter; }
    EtlDetailsView *detailsView() const { return m_details; }
    LogView *logView() const { return m_logs; }
    ClusterView *clusterView() const { return m_clusterView; }
    QTabWidget *mainTabs() const { return m_tabs; }
    QTabWidget *etlTabs() const { return m_etlTabs; }
    QLabel *banner() const { return m_banner; }
    QLabel *connectionLabel() const { return m_connection; }
    QString selectedEtl() const;
    void selectEtl(const QString &name);
    QAction *action(Session::Action action) const;
    QAction *newEtlAction() const { return m_newAct; }
    QAction *editEtlAction() const { return m_editAct; }
    QAction *offlineAction() const { return m_offlineAct; }

    // Asks for confirmation (window-modal, no nested loop) unless confirmed is true.
    void runAction(Session::Action action, const QString &name, bool confirmed = false);

public Q_SLOTS:
    void showConnectDialog();
    void newEtl();
    void editEtl();
    void showPreview();
    void showOffline();

private:
    void setUpTable(); // the ETL list: sorting, selection, context menu
    void buildLayout(); // banner, ETL list beside details and logs, cluster tab, status bar
    void connectSession();
    void createActions();
    void createMenus();
    void onConnectionChanged(bool connected, const QString &error);
    void onSelectionChanged();
    void updateActions();
    void updateRetryCountdown();
    void showContextMenu(const QPoint &pos);
    void showProblem(const QString &text);
    // Disables the action when the identity does not allow it, with why as its tooltip.
    void gate(QAction *action, bool allowed, const QString &why);

    QPointer<Api::ApiClient> m_api;
    EtlListModel *m_etls;
    ClusterModel *m_nodes;
    BucketModel *m_buckets;
    Session *m_session;
    QSortFilterProxyModel *m_filtered;
    QLabel *m_banner;
    QLabel *m_connection;
    QLabel *m_actionStatus;
    QLabel *m_who; // the token's subject and role
    QLabel *m_denied; // banner: the cluster's 401/403 message
    Identity m_identity;
    QHash<QAction *, QString> m_tips; // each gated action's own tooltip
    QTabWidget *m_tabs;
    QTabWidget *m_etlTabs;
    QLineEdit *m_filter;
    QTableView *m_table;
    EtlDetailsView *m_details;
    LogView *m_logs;
    ClusterView *m_clusterView;
    QTimer *m_countdown; // refreshes "retrying in N s" while disconnected

    QAction *m_connectAct = nullptr;
    QAction *m_refreshAct = nullptr;
    QAction *m_newAct = nullptr;
    QAction *m_editAct = nullptr;
    QAction *m_startAct = nullptr;
    QAction *m_stopAct = nullptr;
    QAction *m_restartAct = nullptr;
    QAction *m_deleteAct = nullptr;
    QAction *m_previewAct = nullptr;
    QAction *m_offlineAct = nullptr;
    QAction *m_filterAct = nullptr;
    QAction *m_logsAct = nullptr;
    QAction *m_quitAct = nullptr;
};

} // namespace Kiln::Console
