#include "app/editors/codeeditor.h"

#include <QFontDatabase>
#include <QHelpEvent>
#include <QPainter>
#include <QTextBlock>
#include <QToolTip>

namespace Kiln::Console {
namespace {

class LineNumberArea final : public QWidget
{
public:
    explicit LineNumberArea(CodeEditor *editor)
        : QWidget(editor)
        , m_editor(editor)
    { }
    QSize sizeHint() const override { return {m_editor->lineNumberAreaWidth(), 0}; }

protected:
    void paintEvent(QPaintEvent *event) override { m_editor->paintLineNumberArea(event); }

private:
    CodeEditor *m_editor;
};

const QColor MarkerColor(0xe0, 0x30, 0x30);

} // namespace

CodeEditor::CodeEditor(QWidget *parent)
    : QPlainTextEdit(parent)
    , m_lineNumberArea(new LineNumberArea(this))
{
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setTabChangesFocus(false);
    // Four spaces wide, in whatever font size the system gives.
    setTabStopDistance(4 * fontMetrics().horizontalAdvance(QLatin1Char(' ')));
    connect(this, &QPlainTextEdit::blockCountChanged, this,
            [this] { updateLineNumberAreaWidth(); });
    connect(this, &QPlainTextEdit::updateRequest, this, &CodeEditor::updateLineNumberArea);
    updateLineNumberAreaWidth();
}

int CodeEditor::lineNumberAreaWidth() const
{
    int digits = 1;
    for (int max = qMax(1, blockCount()); max >= 10; max /= 10)
        ++digits;
    // Room for the digits and a marker dot.
    return 8 + fontMetrics().horizontalAdvance(QLatin1Char('9')) * (digits + 2);
}

void CodeEditor::updateLineNumberAreaWidth()
{
    setViewportMargins(lineNumberAreaWidth(), 0, 0, 0);
}

void CodeEditor::updateLineNumberArea(const QRect &rect, int dy)
{
    if (dy)
        m_lineNumberArea->scroll(0, dy);
    else
        m_lineNumberArea->update(0, rect.y(), m_lineNumberArea->width(), rect.height());
    if (rect.contains(viewport()->rect()))
        updateLineNumberAreaWidth();
}

void CodeEditor::resizeEvent(QResizeEvent *event)
{
    QPlainTextEdit::resizeEvent(event);
    const QRect cr = contentsRect();
    m_lineNumberArea->setGeometry(QRect(cr.left(), cr.top(), lineNumberAreaWidth(), cr.height()));
}

void CodeEditor::paintLineNumberArea(QPaintEvent *event)
{
    QPainter painter(m_lineNumberArea);
    const QPalette pal = palette();
    painter.fillRect(event->rect(), pal.color(QPalette::AlternateBase));
    QTextBlock block = firstVisibleBlock();
    int top = qRound(blockBoundingGeometry(block).translated(contentOffset()).top());
    int bottom = top + qRound(blockBoundingRect(block).height());
    const int h = fontMetrics().height();
    while (block.isValid() && top <= event->rect().bottom()) {
        const int line = block.blockNumber() + 1;
        if (block.isVisible() && bottom >= event->rect().top()) {
            if (m_markers.contains(line)) {
                painter.setPen(Qt::NoPen);
                painter.setBrush(MarkerColor);
                const int d = h / 2;
                painter.drawEllipse(QRect(3, top + (h - d) / 2, d, d));
            }
            painter.setPen(pal.color(QPalette::PlaceholderText));
            painter.drawText(0, top, m_lineNumberArea->width() - 4, h, Qt::AlignRight,
                             QString::number(line));
        }
        block = block.next();
        top = bottom;
        bottom = top + qRound(blockBoundingRect(block).height());
    }
}

void CodeEditor::setMarkers(const QMap<int, QString> &markers)
{
    if (markers == m_markers)
        return;
    m_markers = markers;
    updateExtraSelections();
    m_lineNumberArea->update();
    Q_EMIT markersChanged();
}

void CodeEditor::updateExtraSelections()
{
    QList<QTextEdit::ExtraSelection> selections;
    for (auto it = m_markers.begin(); it != m_markers.end(); ++it) {
        const QTextBlock block = document()->findBlockByNumber(it.key() - 1);
        if (!block.isValid())
            continue;
        QTextEdit::ExtraSelection sel;
        sel.format.setUnderlineStyle(QTextCharFormat::WaveUnderline);
        sel.format.setUnderlineColor(MarkerColor);
        sel.format.setToolTip(it.value());
        sel.cursor = QTextCursor(block);
        sel.cursor.movePosition(QTextCursor::StartOfBlock);
        sel.cursor.movePosition(QTextCursor::EndOfBlock, QTextCursor::KeepAnchor);
        selections.append(sel);
    }
    setExtraSelections(selections);
}

void CodeEditor::paintEvent(QPaintEvent *event)
{
    QPlainTextEdit::paintEvent(event);
    if (m_markers.isEmpty())
        return;
    // The message itself, dimmed, after the end of its line: the error reads where it is.
    QPainter painter(viewport());
    QFont small = font();
    small.setItalic(true);
    painter.setFont(small);
    painter.setPen(MarkerColor);
    const QFontMetrics fm(font());
    QTextBlock block = firstVisibleBlock();
    while (block.isValid()) {
        const QRectF r = blockBoundingGeometry(block).translated(contentOffset());
        if (r.top() > event->rect().bottom())
            break;
        const int line = block.blockNumber() + 1;
        if (m_markers.contains(line) && block.isVisible()) {
            const int x = int(r.left()) + fm.horizontalAdvance(block.text()) + 4
                + 3 * fm.horizontalAdvance(QLatin1Char(' '));
            painter.drawText(QPointF(x, r.top() + fm.ascent()),
                             QStringLiteral("\u25C0 ") + m_markers.value(line));
        }
        block = block.next();
    }
}

bool CodeEditor::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const QPoint inViewport = viewport()->mapFromGlobal(help->globalPos());
        const int line = cursorForPosition(inViewport).blockNumber() + 1;
        if (m_markers.contains(line)) {
            QToolTip::showText(help->globalPos(), m_markers.value(line), this);
            return true;
        }
        QToolTip::hideText();
    }
    return QPlainTextEdit::event(event);
}

} // namespace Kiln::Console
