#pragma once

#include "app/models/etlrates.h"

#include <QPointer>
#include <QWidget>

#include <optional>

class QChart;
class QChartView;
class QLabel;
class QPlainTextEdit;
class QTableView;
class QTimer;

namespace Kiln::Api {
class ApiClient;
}

namespace Kiln::Console {

class TargetHealthModel;

// Details of one ETL: per-target health, CPU and memory (with % of the limit), stage and errors,
// and charts of CPU and memory over the last minutes, refreshed on a timer through the
// ApiClient. Lives on the GUI thread.
class EtlDetailsView final : public QWidget
{
    Q_OBJECT
public:
    explicit EtlDetailsView(Api::ApiClient *api, QWidget *parent = nullptr);

    void setEtl(const QString &name);
    QString etl() const { return m_name; }
    void setRefreshInterval(int msecs);
    // The ETL's cluster-wide throughput and error rate (from the ETL list's metrics polling);
    // none yet until two polls of the targets' metrics came back.
    void setRate(const std::optional<EtlRate> &rate);
    QString rateText() const;
    TargetHealthModel *model() const { return m_model; }
    QChart *cpuChart() const { return m_cpuChart; }
    QChart *memoryChart() const { return m_memChart; }

Q_SIGNALS:
    // Every refresh that brought metrics; for tests and the screenshot tour.
    void refreshed();

protected:
    void changeEvent(QEvent *event) override;

private:
    void refresh();
    void updateCharts();
    void applyChartTheme();

    QPointer<Api::ApiClient> m_api;
    QString m_name;
    TargetHealthModel *m_model;
    QLabel *m_title;
    QLabel *m_rate; // throughput and error rate
    QTableView *m_table;
    QChart *m_cpuChart;
    QChart *m_memChart;
    QChartView *m_cpuView;
    QChartView *m_memView;
    QPlainTextEdit *m_errors;
    QTimer *m_timer;
    int m_inFlight = 0;
};

} // namespace Kiln::Console
