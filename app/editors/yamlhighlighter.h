#pragma once

#include <QSyntaxHighlighter>

namespace Kiln::Console {

// Colours YAML as pod specs use it: keys, comments, strings, numbers and booleans, list dashes,
// document markers. Line-based: no state crosses lines except block scalars (| and >), whose
// lines are left plain (they are usually embedded code).
class YamlHighlighter final : public QSyntaxHighlighter
{
    Q_OBJECT
public:
    explicit YamlHighlighter(QTextDocument *document);

protected:
    void highlightBlock(const QString &text) override;
};

// Colours Python: keywords, builtins, strings (one-line and triple-quoted), comments, numbers,
// decorators and def/class names.
class PythonHighlighter final : public QSyntaxHighlighter
{
    Q_OBJECT
public:
    explicit PythonHighlighter(QTextDocument *document);

protected:
    void highlightBlock(const QString &text) override;
};

} // namespace Kiln::Console
