#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;

namespace Kiln::Console {

// The ETL name input: checks every keystroke against the shared rule (shared/etl/etlname.h,
// the one kilnd applies) and shows the rule's exact message under the field. A server error
// about the name (already exists...) can be shown in the same place until the next edit.
class NameField final : public QWidget
{
    Q_OBJECT
public:
    explicit NameField(QWidget *parent = nullptr);

    QString name() const;
    void setName(const QString &name);
    bool isValid() const { return m_valid; }
    // The message shown under the field; empty while the name is valid.
    QString message() const;
    void setServerError(const QString &message);
    void setReadOnly(bool readOnly);
    QLineEdit *lineEdit() const { return m_edit; }

Q_SIGNALS:
    void validityChanged(bool valid);
    void nameChanged(const QString &name);

private:
    void onTextChanged(const QString &text);
    void showMessage(const QString &message);

    QLineEdit *m_edit;
    QLabel *m_message;
    bool m_valid = false;
};

} // namespace Kiln::Console
