#pragma once

#include <QDir>
#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPointer>

#include <functional>

class QWidget;

namespace Kiln::Console {

class MainWindow;

// Drives the real windows through the console's views against a live cluster and saves each as
// a PNG (QWidget::grab), for docs/console.md. Started by `kiln-console --screenshots DIR`
// (scripts/console-screenshots runs it under Xvfb). Every step waits for its data with a
// deadline, so a broken view shows up as a failed step rather than an empty picture.
class ScreenshotTour final : public QObject
{
    Q_OBJECT
public:
    ScreenshotTour(MainWindow *window, const QString &outDir, QObject *parent = nullptr);

    // What to show: the ETL to select, a bucket and object for the preview, a destination
    // bucket for the offline job.
    void setSubjects(const QString &etl, const QString &bucket, const QString &object,
                     const QString &destination);
    // The last step stops the cluster (SIGTERM to this process, e.g. the `kilnd cluster`
    // supervisor) to show the window of a dead proxy; without it the window is pointed at a
    // port nobody listens on.
    void setClusterPid(qint64 pid) { m_clusterPid = pid; }
    void start();

Q_SIGNALS:
    // ok is false when a step's data never came; message names it.
    void finished(bool ok, const QString &message);

private:
    struct Step
    {
        QString name;
        std::function<void()> prepare;
        std::function<bool()> ready;
        std::function<QWidget *()> target;
        int settleMs = 300;
    };
    void runStep(int index);
    void poll();
    void grab();

    QPointer<MainWindow> m_window;
    QDir m_out;
    QString m_etl;
    QString m_bucket;
    QString m_object;
    QString m_destination;
    QList<Step> m_steps;
    int m_current = -1;
    QElapsedTimer m_clock;
    QPointer<QWidget> m_dialog; // the dialog the current steps work on
    QStringList m_failed;
    qint64 m_clusterPid = 0;
};

} // namespace Kiln::Console
