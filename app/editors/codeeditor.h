#pragma once

#include <QMap>
#include <QPlainTextEdit>

namespace Kiln::Console {

// A plain-text editor for source: monospace font, a line-number gutter, and markers (one
// message per line) shown as a red gutter dot, a wavy underline over the line and the message
// as the line's tooltip. Subclasses or owners set a QSyntaxHighlighter on document().
class CodeEditor : public QPlainTextEdit
{
    Q_OBJECT
public:
    explicit CodeEditor(QWidget *parent = nullptr);

    // 1-based line -> message; replaces the previous markers.
    void setMarkers(const QMap<int, QString> &markers);
    const QMap<int, QString> &markers() const { return m_markers; }
    int lineNumberAreaWidth() const;
    void paintLineNumberArea(QPaintEvent *event);

Q_SIGNALS:
    void markersChanged();

protected:
    void resizeEvent(QResizeEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    bool event(QEvent *event) override;

private:
    void updateLineNumberAreaWidth();
    void updateLineNumberArea(const QRect &rect, int dy);
    void updateExtraSelections();

    QWidget *m_lineNumberArea;
    QMap<int, QString> m_markers;
};

} // namespace Kiln::Console
