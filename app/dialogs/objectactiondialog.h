#pragma once

#include <QDialog>
#include <QPointer>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace Kiln::Api {
class ApiClient;
}

namespace Kiln::Console {

// Copies one object (to a name in any bucket) or renames it (within its bucket), through the
// AIS object API: PUT ?object_to= and POST rename-obj. Reports the outcome in the dialog and
// through done(); the dialog closes itself on success.
class ObjectActionDialog final : public QDialog
{
    Q_OBJECT
public:
    enum class Mode { Copy, Rename };

    ObjectActionDialog(Api::ApiClient *api, Mode mode, const QString &bucket, const QString &object,
                       const QStringList &buckets, QWidget *parent = nullptr);

    void setDestination(const QString &bucket, const QString &name);
    void run();
    QString status() const;

Q_SIGNALS:
    void done(bool ok, const QString &message);

private:
    void finish(bool ok, const QString &message);

    QPointer<Api::ApiClient> m_api;
    Mode m_mode;
    QString m_bucket;
    QString m_object;
    QComboBox *m_toBucket;
    QLineEdit *m_toName;
    QLabel *m_status;
    QPushButton *m_ok;
};

} // namespace Kiln::Console
