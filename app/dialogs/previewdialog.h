#pragma once

#include <QDialog>
#include <QPointer>

class QComboBox;
class QLabel;
class QPushButton;

namespace Kiln::Api {
class ApiClient;
}

namespace Kiln::Console {

class PayloadView;

// Transform preview: pick a bucket, an object and an ETL; the original and the transformed
// object (an inline GET through the ETL) are shown side by side as text, hex or image.
class PreviewDialog final : public QDialog
{
    Q_OBJECT
public:
    PreviewDialog(Api::ApiClient *api, const QStringList &etls, QWidget *parent = nullptr);

    void setEtl(const QString &name);
    // Selects bucket and object once listed (or right away if already there).
    void select(const QString &bucket, const QString &object);
    void showPreview();
    PayloadView *originalView() const { return m_original; }
    PayloadView *transformedView() const { return m_transformed; }

Q_SIGNALS:
    void previewShown();

private:
    void loadBuckets();
    void loadObjects();

    QPointer<Api::ApiClient> m_api;
    QComboBox *m_bucket;
    QComboBox *m_object;
    QComboBox *m_etl;
    QPushButton *m_show;
    QLabel *m_status;
    PayloadView *m_original;
    PayloadView *m_transformed;
    QString m_wantBucket;
    QString m_wantObject;
    int m_pending = 0;
};

} // namespace Kiln::Console
