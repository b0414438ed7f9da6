#include "app/windows/screenshottour.h"

#include "app/dialogs/etleditordialog.h"
#include "app/dialogs/offlinedialog.h"
#include "app/dialogs/previewdialog.h"
#include "app/editors/namefield.h"
#include "app/editors/yamleditor.h"
#include "app/models/bucketmodel.h"
#include "app/models/etllistmodel.h"
#include "app/models/logmodel.h"
#include "app/models/targethealthmodel.h"
#include "app/views/etldetailsview.h"
#include "app/views/logview.h"
#include "app/windows/mainwindow.h"

#include <QLabel>
#include <QTabWidget>
#include <QTcpServer>
#include <QTimer>

#include <csignal>

namespace Kiln::Console {
namespace {

// Generous: the first metrics samples, a venv, a job on a loaded 2-core machine.
constexpr int StepDeadlineMs = 60000;
constexpr int PollMs = 200;

} // namespace

ScreenshotTour::ScreenshotTour(MainWindow *window, const QString &outDir, QObject *parent)
    : QObject(parent)
    , m_window(window)
    , m_out(outDir)
{ }

void ScreenshotTour::setSubjects(const QString &etl, const QString &bucket, const QString &object,
                                 const QString &destination)
{
    m_etl = etl;
    m_bucket = bucket;
    m_object = object;
    m_destination = destination;
}

void ScreenshotTour::start()
{
    m_out.mkpath(QStringLiteral("."));
    MainWindow *w = m_window;
    auto shared = std::make_shared<bool>(false); // set by dialogs' completion signals
    auto closeDialog = [this] {
        if (m_dialog)
            m_dialog->deleteLater();
        m_dialog = nullptr;
    };
    m_steps = {
        {QStringLiteral("main-details"),
         [this, w] {
             w->detailsView()->setRefreshInterval(1000);
             w->mainTabs()->setCurrentIndex(0);
             w->etlTabs()->setCurrentWidget(w->detailsView());
             w->selectEtl(m_etl);
         },
         [this, w] {
             if (w->selectedEtl() != m_etl)
                 w->selectEtl(m_etl);
             const TargetHealthModel *m = w->detailsView()->model();
             const QStringList ids = m->targetIds();
             return !ids.isEmpty() && m->history(ids.first()).size() >= 30;
         },
         [w]() -> QWidget * { return w; }},
        {QStringLiteral("logs"),
         [w] {
             w->etlTabs()->setCurrentWidget(w->logView());
             w->logView()->setSearch(QStringLiteral("PUT"));
         },
         [w] { return w->logView()->matchCount() > 0; }, [w]() -> QWidget * { return w; }},
        {QStringLiteral("cluster"), [w] { w->mainTabs()->setCurrentIndex(1); },
         [this, w] {
             const BucketModel *b = w->findChild<BucketModel *>();
             if (!b || b->rowCount() == 0)
                 return false;
             for (int row = 0; row < b->rowCount(); ++row) {
                 if (b->index(row, BucketModel::Objects).data(Qt::UserRole).toLongLong() < 0)
                     return false;
             }
             return true;
         },
         [w]() -> QWidget * { return w; }},
        {QStringLiteral("editor-podspec"),
         [this, w] {
             w->mainTabs()->setCurrentIndex(0);
             auto *d = new EtlEditorDialog(w->session()->api(), w);
             d->nameField()->setName(QStringLiteral("upper hpush"));
             QString spec = d->specEditor()->toPlainText();
             spec.replace(QStringLiteral("- name: default"), QStringLiteral("- name: http"));
             spec.replace(QStringLiteral("          path: /health\n"), QString());
             d->specEditor()->setPlainText(spec);
             d->specEditor()->validateNow();
             d->show();
             m_dialog = d;
         },
         [this] {
             auto *d = qobject_cast<EtlEditorDialog *>(m_dialog.data());
             return d && !d->specEditor()->issues().isEmpty();
         },
         [this]() -> QWidget * { return m_dialog; }},
        {QStringLiteral("editor-code"),
         [this, w, closeDialog] {
             closeDialog();
             auto *d = new EtlEditorDialog(w->session()->api(), w);
             d->nameField()->setName(QStringLiteral("upper-code"));
             d->setMode(EtlEditorDialog::Mode::Code);
             d->show();
             m_dialog = d;
         },
         [this] { return bool(m_dialog); }, [this]() -> QWidget * { return m_dialog; }},
        {QStringLiteral("preview"),
         [this, w, closeDialog, shared] {
             closeDialog();
             QStringList etls;
             for (int row = 0; row < w->etlModel()->rowCount(); ++row)
                 etls.append(w->etlModel()->nameAt(row));
             auto *d = new PreviewDialog(w->session()->api(), etls, w);
             d->setEtl(m_etl);
             d->select(m_bucket, m_object);
             *shared = false;
             connect(d, &PreviewDialog::previewShown, this, [shared] { *shared = true; });
             d->show();
             m_dialog = d;
         },
         [this, shared] {
             auto *d = qobject_cast<PreviewDialog *>(m_dialog.data());
             // Ask again until bucket and object are listed; the first complete answer counts.
             if (d && !*shared && m_clock.elapsed() % 2000 < PollMs)
                 d->showPreview();
             return *shared;
         },
         [this]() -> QWidget * { return m_dialog; }},
        {QStringLiteral("offline"),
         [this, w, closeDialog, shared] {
             closeDialog();
             QStringList etls;
             for (int row = 0; row < w->etlModel()->rowCount(); ++row)
                 etls.append(w->etlModel()->nameAt(row));
             auto *buckets = w->findChild<BucketModel *>();
             auto *d = new OfflineDialog(w->session()->api(), etls,
                                         buckets ? buckets->names() : QStringList(), w);
             d->setSource(m_bucket);
             d->setDestination(m_destination);
             d->setEtl(m_etl);
             *shared = false;
             connect(d, &OfflineDialog::jobFinished, this, [shared] { *shared = true; });
             d->show();
             d->start();
             m_dialog = d;
         },
         [shared] { return *shared; }, [this]() -> QWidget * { return m_dialog; }, 1500},
        {QStringLiteral("disconnected"),
         [this, w, closeDialog] {
             closeDialog();
             w->mainTabs()->setCurrentIndex(0);
             w->etlTabs()->setCurrentWidget(w->detailsView());
             if (m_clusterPid > 0) {
                 ::kill(pid_t(m_clusterPid), SIGTERM);
                 return;
             }
             // A port nobody listens on: what the window shows when the proxy is gone.
             QTcpServer probe;
             probe.listen(QHostAddress::LocalHost, 0);
             const quint16 port = probe.serverPort();
             probe.close();
             w->connectTo(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)), QString());
         },
         [w] { return w->banner()->isVisible(); }, [w]() -> QWidget * { return w; }, 2500},
    };
    runStep(0);
}

void ScreenshotTour::runStep(int index)
{
    m_current = index;
    if (index >= m_steps.size()) {
        Q_EMIT finished(m_failed.isEmpty(),
                        m_failed.isEmpty() ? QStringLiteral("all screenshots saved")
                                           : QStringLiteral("no data for: ") + m_failed.join(", "));
        return;
    }
    m_steps[index].prepare();
    m_clock.start();
    QTimer::singleShot(PollMs, this, &ScreenshotTour::poll);
}

void ScreenshotTour::poll()
{
    const Step &step = m_steps.at(m_current);
    if (step.ready()) {
        // Let layouts, charts and highlighters catch up before the picture.
        QTimer::singleShot(step.settleMs, this, &ScreenshotTour::grab);
        return;
    }
    if (m_clock.elapsed() > StepDeadlineMs) {
        m_failed.append(step.name);
        return runStep(m_current + 1);
    }
    QTimer::singleShot(PollMs, this, &ScreenshotTour::poll);
}

void ScreenshotTour::grab()
{
    const Step &step = m_steps.at(m_current);
    QWidget *target = step.target();
    if (!target || !target->grab().save(m_out.filePath(step.name + QStringLiteral(".png"))))
        m_failed.append(step.name);
    runStep(m_current + 1);
}

} // namespace Kiln::Console
