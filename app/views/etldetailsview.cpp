#include "app/views/etldetailsview.h"

#include "app/models/etllistmodel.h"
#include "app/models/targethealthmodel.h"
#include "shared/api/apiclient.h"

#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QEvent>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <QValueAxis>

namespace Kiln::Console {
namespace {

constexpr int DefaultRefreshMs = 2000;
constexpr double MiB = 1024.0 * 1024.0;

QChart *makeChart(const QString &title, const QString &unit)
{
    auto *chart = new QChart;
    chart->setTitle(title);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    auto *x = new QDateTimeAxis;
    x->setFormat(QStringLiteral("HH:mm:ss"));
    x->setTickCount(5);
    auto *y = new QValueAxis;
    y->setLabelFormat(QStringLiteral("%.1f"));
    y->setTitleText(unit);
    y->setMin(0);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    return chart;
}

} // namespace

EtlDetailsView::EtlDetailsView(Api::ApiClient *api, QWidget *parent)
    : QWidget(parent)
    , m_api(api)
    , m_model(new TargetHealthModel(this))
    , m_title(new QLabel(this))
    , m_rate(new QLabel(this))
    , m_table(new QTableView(this))
    , m_cpuChart(makeChart(tr("CPU"), tr("% of a core")))
    , m_memChart(makeChart(tr("Memory"), tr("MiB")))
    , m_cpuView(new QChartView(m_cpuChart, this))
    , m_memView(new QChartView(m_memChart, this))
    , m_errors(new QPlainTextEdit(this))
    , m_timer(new QTimer(this))
{
    m_title->setTextFormat(Qt::PlainText);
    QFont f = m_title->font();
    f.setBold(true);
    m_title->setFont(f);
    m_table->setModel(m_model);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_cpuView->setRenderHint(QPainter::Antialiasing);
    m_memView->setRenderHint(QPainter::Antialiasing);
    // Tall enough for readable axis labels at any font size.
    const int chartHeight = fontMetrics().height() * 16;
    m_cpuView->setMinimumHeight(chartHeight);
    m_memView->setMinimumHeight(chartHeight);
    m_errors->setReadOnly(true);
    m_errors->setPlaceholderText(tr("No errors reported"));
    m_errors->setMaximumBlockCount(500);

    auto *charts = new QSplitter(Qt::Horizontal, this);
    charts->addWidget(m_cpuView);
    charts->addWidget(m_memView);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(charts);
    split->addWidget(m_errors);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 3);
    split->setStretchFactor(2, 1);
    const int row = fontMetrics().height() * 2;
    split->setSizes({row * 5, row * 12, row * 3});
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_title);
    layout->addWidget(m_rate);
    setRate(std::nullopt);
    layout->addWidget(split, 1);

    m_timer->setInterval(DefaultRefreshMs);
    connect(m_timer, &QTimer::timeout, this, &EtlDetailsView::refresh);
    connect(m_model, &TargetHealthModel::historyChanged, this, &EtlDetailsView::updateCharts);
    applyChartTheme();
}

void EtlDetailsView::setRate(const std::optional<EtlRate> &rate)
{
    m_rate->setText(rate ? tr("Throughput %1, errors %2")
                               .arg(formatThroughput(*rate), formatErrorRate(*rate))
                         : tr("Throughput: after two polls of the targets' metrics"));
}

QString EtlDetailsView::rateText() const
{
    return m_rate->text();
}

void EtlDetailsView::setRefreshInterval(int msecs)
{
    m_timer->setInterval(msecs);
}

void EtlDetailsView::setEtl(const QString &name)
{
    if (name == m_name)
        return;
    m_name = name;
    m_model->clear();
    m_errors->clear();
    m_title->setText(name.isEmpty() ? tr("Select an ETL") : tr("ETL %1").arg(name));
    setRate(std::nullopt);
    if (name.isEmpty()) {
        m_timer->stop();
        return;
    }
    m_timer->start();
    refresh();
}

void EtlDetailsView::refresh()
{
    // A slow proxy must not pile up requests: skip a tick while the last one is still out.
    if (!m_api || m_name.isEmpty() || m_inFlight > 0)
        return;
    const QString name = m_name;
    m_inFlight = 3;
    m_api->etlHealth(name, this, [this, name](const Result<QList<Api::TargetHealth>> &h) {
        --m_inFlight;
        if (h && name == m_name)
            m_model->setHealth(*h);
    });
    m_api->etlMetrics(name, this, [this, name](const Result<QList<Api::TargetMetrics>> &m) {
        --m_inFlight;
        if (m && name == m_name) {
            m_model->setMetrics(*m);
            Q_EMIT refreshed();
        }
    });
    m_api->etlDetails(name, this, [this, name](const Result<Api::EtlDetails> &d) {
        --m_inFlight;
        if (!d || name != m_name) {
            if (!d && name == m_name)
                m_errors->setPlainText(d.error().message);
            return;
        }
        m_model->setDetails(*d);
        QStringList lines;
        if (!d->error.isEmpty())
            lines.append(d->error);
        for (auto it = d->targetErrors.begin(); it != d->targetErrors.end(); ++it)
            lines.append(QStringLiteral("target %1: %2").arg(it.key(), it.value()));
        for (const Api::ObjError &e : d->objErrors)
            lines.append(e.describe());
        const QString text = lines.join('\n');
        if (text != m_errors->toPlainText())
            m_errors->setPlainText(text);
    });
}

void EtlDetailsView::updateCharts()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const QStringList targets = m_model->targetIds();
    auto fill = [&](QChart *chart, auto value) {
        // Series are per target and kept, so colours stay with their target between refreshes.
        const QList<QAbstractSeries *> existing = chart->series();
        double max = 1;
        for (const QString &t : targets) {
            QLineSeries *series = nullptr;
            for (QAbstractSeries *s : existing) {
                if (s->name() == t)
                    series = static_cast<QLineSeries *>(s);
            }
            if (!series) {
                series = new QLineSeries;
                series->setName(t);
                chart->addSeries(series);
                for (QAbstractAxis *axis : chart->axes())
                    series->attachAxis(axis);
            }
            QList<QPointF> points;
            for (const TargetHealthModel::Sample &s : m_model->history(t)) {
                const double v = value(s);
                max = qMax(max, v);
                points.append(QPointF(double(s.msecs), v));
            }
            series->replace(points);
        }
        for (QAbstractSeries *s : existing) {
            if (!targets.contains(s->name())) {
                chart->removeSeries(s);
                delete s;
            }
        }
        const auto xAxes = chart->axes(Qt::Horizontal);
        const auto yAxes = chart->axes(Qt::Vertical);
        // The window grows with the history, from one minute up to the kept span.
        qint64 oldest = now;
        for (const QString &t : targets) {
            const auto h = m_model->history(t);
            if (!h.isEmpty())
                oldest = qMin(oldest, h.first().msecs);
        }
        const qint64 span = qBound<qint64>(60000, now - oldest, m_model->historySpan());
        if (!xAxes.isEmpty())
            static_cast<QDateTimeAxis *>(xAxes.first())
                ->setRange(QDateTime::fromMSecsSinceEpoch(now - span),
                           QDateTime::fromMSecsSinceEpoch(now));
        if (!yAxes.isEmpty())
            static_cast<QValueAxis *>(yAxes.first())->setRange(0, max * 1.15);
    };
    fill(m_cpuChart, [](const TargetHealthModel::Sample &s) { return s.cpuPercent; });
    fill(m_memChart, [](const TargetHealthModel::Sample &s) { return s.memBytes / MiB; });
}

void EtlDetailsView::applyChartTheme()
{
    const bool dark = palette().color(QPalette::Window).lightness() < 128;
    for (QChart *chart : {m_cpuChart, m_memChart}) {
        chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
        chart->setBackgroundBrush(palette().brush(QPalette::Base));
        chart->setTitleBrush(palette().brush(QPalette::Text));
        chart->legend()->setLabelColor(palette().color(QPalette::Text));
        for (QAbstractAxis *axis : chart->axes()) {
            axis->setLabelsColor(palette().color(QPalette::Text));
            axis->setTitleBrush(palette().brush(QPalette::Text));
        }
    }
}

void EtlDetailsView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        applyChartTheme();
    QWidget::changeEvent(event);
}

} // namespace Kiln::Console
