#include "app/editors/yamleditor.h"

#include "app/editors/yamlhighlighter.h"

#include <QTimer>

namespace Kiln::Console {
namespace {

// Long enough not to flicker markers mid-word, short enough to feel live.
constexpr int ValidateDelayMs = 250;

} // namespace

YamlEditor::YamlEditor(QWidget *parent)
    : CodeEditor(parent)
    , m_debounce(new QTimer(this))
{
    new YamlHighlighter(document());
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(ValidateDelayMs);
    connect(m_debounce, &QTimer::timeout, this, &YamlEditor::validateNow);
    connect(this, &QPlainTextEdit::textChanged, m_debounce, qOverload<>(&QTimer::start));
}

void YamlEditor::setCommType(std::optional<Etl::CommType> comm)
{
    m_comm = comm;
    validateNow();
}

void YamlEditor::validateNow()
{
    m_debounce->stop();
    m_issues = Etl::validatePodSpec(toPlainText().toUtf8(), m_comm);
    applyMarkers();
    Q_EMIT issuesChanged(m_issues);
}

void YamlEditor::addServerIssue(const Etl::SpecIssue &issue)
{
    m_issues.append(issue);
    applyMarkers();
    Q_EMIT issuesChanged(m_issues);
}

void YamlEditor::applyMarkers()
{
    QMap<int, QString> markers;
    for (const Etl::SpecIssue &issue : m_issues) {
        const int line = qMax(1, issue.line);
        const QString text = issue.field.isEmpty()
            ? issue.message
            : QStringLiteral("%1: %2").arg(issue.field, issue.message);
        if (markers.contains(line))
            markers[line] += QStringLiteral("; ") + text;
        else
            markers.insert(line, text);
    }
    setMarkers(markers);
}

} // namespace Kiln::Console
