#include "app/views/searchhighlighter.h"

namespace Kiln::Console {

SearchHighlighter::SearchHighlighter(QTextDocument *document)
    : QSyntaxHighlighter(document)
{ }

void SearchHighlighter::setTerm(const QString &term)
{
    if (term == m_term)
        return;
    m_term = term;
    rehighlight();
}

void SearchHighlighter::highlightBlock(const QString &text)
{
    if (m_term.isEmpty())
        return;
    QTextCharFormat f;
    // Yellow with black text reads on light and dark palettes alike.
    f.setBackground(QColor(0xff, 0xd7, 0x00));
    f.setForeground(Qt::black);
    for (qsizetype at = text.indexOf(m_term, 0, Qt::CaseInsensitive); at >= 0;
         at = text.indexOf(m_term, at + m_term.size(), Qt::CaseInsensitive))
        setFormat(int(at), int(m_term.size()), f);
}

} // namespace Kiln::Console
