#include "app/editors/yamlhighlighter.h"

#include <QGuiApplication>
#include <QPalette>
#include <QRegularExpression>

namespace Kiln::Console {
namespace {

// Two shades per role so that light and dark palettes both read well.
bool darkPalette()
{
    return QGuiApplication::palette().color(QPalette::Base).lightness() < 128;
}

QTextCharFormat makeFormat(QColor light, QColor dark, bool bold = false, bool italic = false)
{
    QTextCharFormat f;
    f.setForeground(darkPalette() ? dark : light);
    if (bold)
        f.setFontWeight(QFont::Bold);
    f.setFontItalic(italic);
    return f;
}

QTextCharFormat keyFormat()
{
    return makeFormat(QColor(0x00, 0x50, 0xa0), QColor(0x80, 0xb8, 0xff), true);
}
QTextCharFormat stringFormat()
{
    return makeFormat(QColor(0x20, 0x80, 0x20), QColor(0x9c, 0xdc, 0x7c));
}
QTextCharFormat numberFormat()
{
    return makeFormat(QColor(0xa0, 0x50, 0x00), QColor(0xf0, 0xb0, 0x70));
}
QTextCharFormat commentFormat()
{
    return makeFormat(QColor(0x80, 0x80, 0x80), QColor(0x90, 0x90, 0x90), false, true);
}
QTextCharFormat keywordFormat()
{
    return makeFormat(QColor(0x80, 0x00, 0x80), QColor(0xd0, 0x90, 0xf0), true);
}

// Block state: the indentation of the key that opened a block scalar, +1; 0 when none.
constexpr int NoBlockScalar = 0;

int indentOf(const QString &text)
{
    int i = 0;
    while (i < text.size() && text.at(i) == ' ')
        ++i;
    return i;
}

} // namespace

YamlHighlighter::YamlHighlighter(QTextDocument *document)
    : QSyntaxHighlighter(document)
{ }

void YamlHighlighter::highlightBlock(const QString &text)
{
    const int indent = indentOf(text);
    const int open = previousBlockState() > 0 ? previousBlockState() : NoBlockScalar;
    if (open != NoBlockScalar && (text.trimmed().isEmpty() || indent >= open)) {
        setFormat(0, int(text.size()), stringFormat());
        setCurrentBlockState(open);
        return;
    }
    setCurrentBlockState(NoBlockScalar);
    static const QRegularExpression comment(QStringLiteral("(^|\\s)#.*$"));
    static const QRegularExpression key(
        QStringLiteral("^(\\s*(?:-\\s+)?)([A-Za-z0-9_./\\-\"']+)\\s*:(\\s|$)"));
    static const QRegularExpression dash(QStringLiteral("^\\s*-(\\s|$)"));
    static const QRegularExpression quoted(QStringLiteral("\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'"));
    static const QRegularExpression number(QStringLiteral("(?<=[:\\-\\[,]\\s)(-?[0-9][0-9.]*"
                                                          "[a-zA-Z]*)\\s*$"));
    static const QRegularExpression literal(QStringLiteral(":\\s+(true|false|null|yes|no|~)\\s*$"));
    static const QRegularExpression blockScalar(QStringLiteral("(:|^\\s*-)\\s*[|>][-+]?\\s*$"));
    static const QRegularExpression docMarker(QStringLiteral("^(---|\\.\\.\\.)\\s*$"));

    if (docMarker.match(text).hasMatch()) {
        setFormat(0, int(text.size()), keywordFormat());
        return;
    }
    if (auto m = dash.match(text); m.hasMatch())
        setFormat(m.capturedStart() + indent, 1, keywordFormat());
    if (auto m = key.match(text); m.hasMatch())
        setFormat(m.capturedStart(2), m.capturedLength(2), keyFormat());
    for (auto it = quoted.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        setFormat(m.capturedStart(), m.capturedLength(), stringFormat());
    }
    if (auto m = number.match(text); m.hasMatch())
        setFormat(m.capturedStart(1), m.capturedLength(1), numberFormat());
    if (auto m = literal.match(text); m.hasMatch())
        setFormat(m.capturedStart(1), m.capturedLength(1), keywordFormat());
    if (auto m = comment.match(text); m.hasMatch()) {
        // Not a '#' inside quotes: good enough for specs, where '#' in values is rare.
        setFormat(m.capturedStart(), m.capturedLength(), commentFormat());
    }
    if (blockScalar.match(text).hasMatch())
        setCurrentBlockState(indent + 1);
}

PythonHighlighter::PythonHighlighter(QTextDocument *document)
    : QSyntaxHighlighter(document)
{ }

void PythonHighlighter::highlightBlock(const QString &text)
{
    static const QRegularExpression keywords(QStringLiteral(
        "\\b(and|as|assert|async|await|break|class|continue|def|del|elif|else|except|finally|"
        "for|from|global|if|import|in|is|lambda|nonlocal|not|or|pass|raise|return|try|while|"
        "with|yield|None|True|False)\\b"));
    static const QRegularExpression builtins(QStringLiteral(
        "\\b(bytes|str|int|float|len|range|print|open|dict|list|set|tuple|isinstance|super|"
        "self)\\b"));
    static const QRegularExpression defName(QStringLiteral("\\b(?:def|class)\\s+(\\w+)"));
    static const QRegularExpression number(QStringLiteral("\\b[0-9][0-9_]*(\\.[0-9]+)?\\b"));
    static const QRegularExpression decorator(QStringLiteral("^\\s*@[\\w.]+"));
    static const QRegularExpression string(
        QStringLiteral("[rbfRBF]?(\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*')"));
    static const QRegularExpression comment(QStringLiteral("#[^\\n]*"));

    auto apply = [&](const QRegularExpression &re, const QTextCharFormat &f, int group = 0) {
        for (auto it = re.globalMatch(text); it.hasNext();) {
            const auto m = it.next();
            setFormat(m.capturedStart(group), m.capturedLength(group), f);
        }
    };
    apply(keywords, keywordFormat());
    apply(builtins, makeFormat(QColor(0x00, 0x70, 0x70), QColor(0x70, 0xd0, 0xd0)));
    apply(defName, keyFormat(), 1);
    apply(number, numberFormat());
    apply(decorator, keywordFormat());
    apply(string, stringFormat());
    // A comment outside a string, approximated: the first '#' not inside a formatted string.
    for (auto it = comment.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        if (format(m.capturedStart()) != stringFormat()) {
            setFormat(m.capturedStart(), int(text.size()) - m.capturedStart(), commentFormat());
            break;
        }
    }

    // Triple-quoted strings span lines: state 1 = inside one.
    const QString delim = QStringLiteral("\"\"\"");
    int start = 0;
    if (previousBlockState() != 1) {
        start = int(text.indexOf(delim));
        if (start < 0) {
            setCurrentBlockState(0);
            return;
        }
    }
    while (start >= 0) {
        const int from = previousBlockState() == 1 && start == 0 ? 0 : start + 3;
        const int end = int(text.indexOf(delim, from));
        if (end < 0) {
            setCurrentBlockState(1);
            setFormat(start, int(text.size()) - start, stringFormat());
            return;
        }
        setFormat(start, end + 3 - start, stringFormat());
        start = int(text.indexOf(delim, end + 3));
    }
    setCurrentBlockState(0);
}

} // namespace Kiln::Console
