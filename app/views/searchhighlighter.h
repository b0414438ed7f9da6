#pragma once

#include <QSyntaxHighlighter>

namespace Kiln::Console {

// Highlights every case-insensitive occurrence of a search term.
class SearchHighlighter final : public QSyntaxHighlighter
{
    Q_OBJECT
public:
    explicit SearchHighlighter(QTextDocument *document);
    void setTerm(const QString &term);
    const QString &term() const { return m_term; }

protected:
    void highlightBlock(const QString &text) override;

private:
    QString m_term;
};

} // namespace Kiln::Console
