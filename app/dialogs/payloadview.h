#pragma once

#include <QByteArray>
#include <QWidget>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QScrollArea;
class QStackedWidget;

namespace Kiln::Console {

// Shows bytes as text, hex dump or image, picking the likely one on load.
class PayloadView final : public QWidget
{
    Q_OBJECT
public:
    enum class Mode { Text, Hex, Image };

    explicit PayloadView(const QString &title, QWidget *parent = nullptr);

    void setPayload(const QByteArray &bytes);
    void setError(const QString &message);
    void setMode(Mode mode);
    Mode mode() const;
    QString text() const;

    static Mode guessMode(const QByteArray &bytes);
    static QString hexDump(const QByteArray &bytes, int maxBytes);

private:
    void render();

    QLabel *m_title;
    QComboBox *m_mode;
    QStackedWidget *m_stack;
    QPlainTextEdit *m_text;
    QScrollArea *m_imageArea;
    QLabel *m_image;
    QByteArray m_bytes;
};

} // namespace Kiln::Console
