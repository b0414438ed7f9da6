#include "app/dialogs/payloadview.h"

#include "app/models/etllistmodel.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QStackedWidget>
#include <QStringDecoder>
#include <QVBoxLayout>

namespace Kiln::Console {
namespace {

// Enough to judge a transform; a whole multi-GiB object would only freeze the text widget.
constexpr int MaxShownBytes = 256 * 1024;

} // namespace

PayloadView::PayloadView(const QString &title, QWidget *parent)
    : QWidget(parent)
    , m_title(new QLabel(title, this))
    , m_mode(new QComboBox(this))
    , m_stack(new QStackedWidget(this))
    , m_text(new QPlainTextEdit(this))
    , m_imageArea(new QScrollArea(this))
    , m_image(new QLabel(this))
{
    m_mode->addItem(tr("Text"), int(Mode::Text));
    m_mode->addItem(tr("Hex"), int(Mode::Hex));
    m_mode->addItem(tr("Image"), int(Mode::Image));
    m_text->setReadOnly(true);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_image->setAlignment(Qt::AlignCenter);
    m_imageArea->setWidget(m_image);
    m_imageArea->setWidgetResizable(true);
    m_stack->addWidget(m_text);
    m_stack->addWidget(m_imageArea);
    auto *bar = new QHBoxLayout;
    bar->addWidget(m_title, 1);
    bar->addWidget(m_mode);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_stack, 1);
    connect(m_mode, &QComboBox::currentIndexChanged, this, &PayloadView::render);
}

PayloadView::Mode PayloadView::guessMode(const QByteArray &bytes)
{
    QImage probe;
    if (probe.loadFromData(bytes))
        return Mode::Image;
    QStringDecoder utf8(QStringDecoder::Utf8);
    const QString text = utf8.decode(bytes.left(4096));
    if (utf8.hasError())
        return Mode::Hex;
    for (const QChar c : text) {
        if (c.unicode() < 0x20 && c != '\n' && c != '\r' && c != '\t')
            return Mode::Hex;
    }
    return Mode::Text;
}

QString PayloadView::hexDump(const QByteArray &bytes, int maxBytes)
{
    QString out;
    const int n = int(qMin<qsizetype>(bytes.size(), maxBytes));
    for (int off = 0; off < n; off += 16) {
        QString hex;
        QString ascii;
        for (int i = off; i < off + 16; ++i) {
            if (i < n) {
                const auto b = quint8(bytes.at(i));
                hex += QStringLiteral("%1 ").arg(b, 2, 16, QLatin1Char('0'));
                ascii += (b >= 0x20 && b < 0x7f) ? QChar(b) : QChar('.');
            } else {
                hex += QStringLiteral("   ");
            }
        }
        out += QStringLiteral("%1  %2 %3\n").arg(off, 8, 16, QLatin1Char('0')).arg(hex, ascii);
    }
    return out;
}

void PayloadView::setPayload(const QByteArray &bytes)
{
    m_bytes = bytes;
    setMode(guessMode(bytes));
    render();
}

void PayloadView::setError(const QString &message)
{
    m_bytes.clear();
    m_stack->setCurrentWidget(m_text);
    m_text->setPlainText(message);
}

void PayloadView::setMode(Mode mode)
{
    m_mode->setCurrentIndex(m_mode->findData(int(mode)));
}

PayloadView::Mode PayloadView::mode() const
{
    return Mode(m_mode->currentData().toInt());
}

QString PayloadView::text() const
{
    return m_text->toPlainText();
}

void PayloadView::render()
{
    const QString size = formatBytes(m_bytes.size());
    const bool cut = m_bytes.size() > MaxShownBytes;
    switch (mode()) {
    case Mode::Text:
        m_stack->setCurrentWidget(m_text);
        m_text->setPlainText(QString::fromUtf8(m_bytes.left(MaxShownBytes))
                             + (cut ? tr("\n… (%1 in all)").arg(size) : QString()));
        break;
    case Mode::Hex:
        m_stack->setCurrentWidget(m_text);
        m_text->setPlainText(hexDump(m_bytes, MaxShownBytes)
                             + (cut ? tr("… (%1 in all)").arg(size) : QString()));
        break;
    case Mode::Image: {
        m_stack->setCurrentWidget(m_imageArea);
        QPixmap pix;
        if (pix.loadFromData(m_bytes))
            m_image->setPixmap(pix);
        else
            m_image->setText(tr("Not an image Qt can read (%1)").arg(size));
        break;
    }
    }
}

} // namespace Kiln::Console
