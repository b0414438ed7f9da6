#include "app/views/logview.h"

#include "app/models/logmodel.h"
#include "app/views/notify.h"
#include "app/views/searchhighlighter.h"
#include "shared/api/apiclient.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSaveFile>
#include <QScrollBar>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace Kiln::Console {
namespace {

constexpr int DefaultPollMs = 1500;
// The text view keeps the newest lines only; the model (and a saved file) keeps more.
constexpr int MaxShownLines = 20000;

} // namespace

LogView::LogView(Api::ApiClient *api, QWidget *parent)
    : QWidget(parent)
    , m_api(api)
    , m_model(new LogModel(this))
    , m_target(new QComboBox(this))
    , m_follow(new QCheckBox(tr("&Follow"), this))
    , m_pause(new QToolButton(this))
    , m_search(new QLineEdit(this))
    , m_filter(new QCheckBox(tr("Only &matching"), this))
    , m_save(new QToolButton(this))
    , m_status(new QLabel(this))
    , m_text(new QPlainTextEdit(this))
    , m_highlighter(new SearchHighlighter(m_text->document()))
    , m_timer(new QTimer(this))
{
    m_target->addItem(tr("All targets"), QString());
    m_target->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_follow->setChecked(true);
    m_follow->setToolTip(tr("Poll for new lines and keep the newest in view"));
    m_pause->setText(tr("Pause"));
    m_pause->setCheckable(true);
    m_pause->setToolTip(tr("Freeze the view; lines keep arriving in the background (Space)"));
    m_search->setPlaceholderText(tr("Search logs (Ctrl+F)"));
    m_search->setClearButtonEnabled(true);
    m_save->setText(tr("Save…"));
    m_save->setToolTip(tr("Save the logs to a file (Ctrl+S)"));
    m_text->setReadOnly(true);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setMaximumBlockCount(MaxShownLines);
    m_text->setPlaceholderText(tr("No log lines yet"));

    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Target:"), this));
    bar->addWidget(m_target);
    bar->addWidget(m_follow);
    bar->addWidget(m_pause);
    bar->addWidget(m_search, 1);
    bar->addWidget(m_filter);
    bar->addWidget(m_save);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_status);

    m_timer->setInterval(DefaultPollMs);
    connect(m_timer, &QTimer::timeout, this, &LogView::poll);
    connect(m_target, &QComboBox::currentIndexChanged, this, [this] {
        m_model->clear();
        rebuild();
        poll();
    });
    connect(m_follow, &QCheckBox::toggled, this, [this](bool on) {
        if (on && !m_name.isEmpty()) {
            m_timer->start();
            poll();
        } else {
            m_timer->stop();
        }
    });
    connect(m_pause, &QToolButton::toggled, this, &LogView::setPaused);
    connect(m_search, &QLineEdit::textChanged, this, [this](const QString &term) {
        m_highlighter->setTerm(term);
        if (m_filter->isChecked())
            rebuild();
        updateStatus();
    });
    connect(m_filter, &QCheckBox::toggled, this, &LogView::rebuild);
    connect(m_save, &QToolButton::clicked, this, &LogView::save);
    connect(m_model, &LogModel::rowsInserted, this, [this](const QModelIndex &, int first, int) {
        if (!m_paused)
            appendLines(first);
    });
    updateStatus();
}

void LogView::setEtl(const QString &name)
{
    if (name == m_name)
        return;
    m_name = name;
    m_model->clear();
    rebuild();
    if (!name.isEmpty() && m_follow->isChecked()) {
        m_timer->start();
        poll();
    } else {
        m_timer->stop();
    }
}

void LogView::setTargets(const QStringList &targetIds)
{
    const QString current = m_target->currentData().toString();
    QStringList have;
    for (int i = 1; i < m_target->count(); ++i)
        have.append(m_target->itemData(i).toString());
    if (have == targetIds)
        return;
    QSignalBlocker block(m_target);
    while (m_target->count() > 1)
        m_target->removeItem(1);
    for (const QString &t : targetIds)
        m_target->addItem(tr("target %1").arg(t), t);
    const int keep = m_target->findData(current);
    m_target->setCurrentIndex(keep < 0 ? 0 : keep);
}

void LogView::setTarget(const QString &targetId)
{
    const int index = m_target->findData(targetId);
    if (index >= 0)
        m_target->setCurrentIndex(index);
}

void LogView::setPollInterval(int msecs)
{
    m_timer->setInterval(msecs);
}

bool LogView::isFollowing() const
{
    return m_follow->isChecked();
}

void LogView::setFollowing(bool follow)
{
    m_follow->setChecked(follow);
}

void LogView::setPaused(bool paused)
{
    if (paused == m_paused)
        return;
    m_paused = paused;
    QSignalBlocker block(m_pause);
    m_pause->setChecked(paused);
    m_pause->setText(paused ? tr("Resume") : tr("Pause"));
    if (!paused)
        appendLines(m_shown);
    updateStatus();
}

void LogView::setSearch(const QString &text)
{
    m_search->setText(text);
}

void LogView::setFilterToMatches(bool filter)
{
    m_filter->setChecked(filter);
}

void LogView::focusSearch()
{
    m_search->setFocus();
    m_search->selectAll();
}

void LogView::poll()
{
    if (!m_api || m_name.isEmpty() || m_inFlight)
        return;
    m_inFlight = true;
    const QString name = m_name;
    const QString target = m_target->currentData().toString();
    m_api->etlLogs(name, target, this,
                   [this, name, target](const Result<QList<Api::TargetLog>> &logs) {
                       m_inFlight = false;
                       if (name != m_name || target != m_target->currentData().toString())
                           return;
                       if (!logs) {
                           m_status->setText(tr("Logs unavailable: %1").arg(logs.error().message));
                           return;
                       }
                       const int added = int(m_model->update(*logs).size());
                       updateStatus();
                       if (added > 0)
                           Q_EMIT linesAdded(added);
                   });
}

bool LogView::passes(const QString &line) const
{
    return !m_filter->isChecked() || m_search->text().isEmpty()
        || line.contains(m_search->text(), Qt::CaseInsensitive);
}

void LogView::rebuild()
{
    m_text->clear();
    m_shown = 0;
    appendLines(0);
}

void LogView::appendLines(int first)
{
    const QList<LogModel::Line> &lines = m_model->lines();
    // The model may have dropped old rows since; never read past its end.
    first = qMin(first, int(lines.size()));
    QStringList out;
    for (int i = qMax(first, m_shown); i < lines.size(); ++i) {
        const QString text = QStringLiteral("[%1] %2").arg(lines.at(i).targetId, lines.at(i).text);
        if (passes(text))
            out.append(text);
    }
    m_shown = int(lines.size());
    if (out.isEmpty())
        return;
    QScrollBar *bar = m_text->verticalScrollBar();
    const bool atEnd = bar->value() == bar->maximum();
    m_text->appendPlainText(out.join('\n'));
    if (m_follow->isChecked() || atEnd)
        bar->setValue(bar->maximum());
    updateStatus();
}

void LogView::updateStatus()
{
    m_matches = 0;
    const QString term = m_search->text();
    if (!term.isEmpty()) {
        for (const LogModel::Line &l : m_model->lines())
            m_matches += int(l.text.count(term, Qt::CaseInsensitive));
    }
    QString text = tr("%n line(s)", nullptr, int(m_model->lines().size()));
    if (!term.isEmpty())
        text += tr(", %n match(es)", nullptr, m_matches);
    if (m_paused)
        text += tr(" — paused");
    m_status->setText(text);
}

bool LogView::saveTo(const QString &path, QString *error) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = file.errorString();
        return false;
    }
    for (const LogModel::Line &l : m_model->lines())
        file.write(QStringLiteral("[%1] %2\n").arg(l.targetId, l.text).toUtf8());
    if (!file.commit()) {
        if (error)
            *error = file.errorString();
        return false;
    }
    return true;
}

void LogView::save()
{
    auto *dialog = new QFileDialog(this, tr("Save logs"), QStringLiteral("%1.log").arg(m_name));
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this, [this](const QString &path) {
        QString error;
        if (!saveTo(path, &error))
            showWarning(this, tr("Save logs"), tr("Could not save %1: %2").arg(path, error));
    });
    dialog->open(); // window-modal, no nested event loop
}

} // namespace Kiln::Console
