#include "app/dialogs/previewdialog.h"

#include "app/dialogs/payloadview.h"
#include "shared/api/apiclient.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>

namespace Kiln::Console {
namespace {

// The object list is a picker, not a browser: the first names of the bucket are enough.
constexpr int MaxListedObjects = 1000;

} // namespace

PreviewDialog::PreviewDialog(Api::ApiClient *api, const QStringList &etls, QWidget *parent)
    : QDialog(parent)
    , m_api(api)
    , m_bucket(new QComboBox(this))
    , m_object(new QComboBox(this))
    , m_etl(new QComboBox(this))
    , m_show(new QPushButton(tr("&Show"), this))
    , m_status(new QLabel(this))
    , m_original(new PayloadView(tr("Original"), this))
    , m_transformed(new PayloadView(tr("Transformed"), this))
{
    setWindowTitle(tr("Transform preview"));
    m_etl->addItems(etls);
    m_object->setEditable(true);
    m_object->setMinimumContentsLength(30);
    m_show->setDefault(true);
    auto *form = new QFormLayout;
    form->addRow(tr("&Bucket:"), m_bucket);
    form->addRow(tr("&Object:"), m_object);
    auto *etlRow = new QHBoxLayout;
    etlRow->addWidget(m_etl, 1);
    etlRow->addWidget(m_show);
    auto *etlLabel = new QLabel(tr("&ETL:"), this);
    etlLabel->setBuddy(m_etl);
    form->addRow(etlLabel, etlRow);
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_original);
    split->addWidget(m_transformed);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(split, 1);
    layout->addWidget(m_status);
    connect(m_bucket, &QComboBox::currentIndexChanged, this, &PreviewDialog::loadObjects);
    connect(m_show, &QPushButton::clicked, this, &PreviewDialog::showPreview);
    resize(QSize(1000, 650).boundedTo(parent ? parent->size() * 0.95 : QSize(1000, 650)));
    loadBuckets();
}

void PreviewDialog::setEtl(const QString &name)
{
    const int i = m_etl->findText(name);
    if (i >= 0)
        m_etl->setCurrentIndex(i);
}

void PreviewDialog::select(const QString &bucket, const QString &object)
{
    m_wantBucket = bucket;
    m_wantObject = object;
    const int b = m_bucket->findText(bucket);
    if (b >= 0 && b != m_bucket->currentIndex())
        m_bucket->setCurrentIndex(b);
    else if (b >= 0)
        m_object->setCurrentText(object);
}

void PreviewDialog::loadBuckets()
{
    if (!m_api)
        return;
    m_status->setText(tr("Listing buckets…"));
    m_api->listBuckets(this, [this](const Result<QList<Api::BucketInfo>> &buckets) {
        if (!buckets)
            return m_status->setText(buckets.error().message);
        QStringList names;
        for (const Api::BucketInfo &b : *buckets)
            names.append(b.name);
        names.sort();
        m_bucket->addItems(names);
        m_status->clear();
        if (!m_wantBucket.isEmpty())
            select(m_wantBucket, m_wantObject);
    });
}

void PreviewDialog::loadObjects()
{
    const QString bucket = m_bucket->currentText();
    m_object->clear();
    if (!m_api || bucket.isEmpty())
        return;
    m_api->listObjects(bucket, {}, MaxListedObjects, this,
                       [this, bucket](const Result<QList<Api::ObjectInfo>> &objects) {
                           if (bucket != m_bucket->currentText())
                               return;
                           if (!objects)
                               return m_status->setText(objects.error().message);
                           for (const Api::ObjectInfo &o : *objects)
                               m_object->addItem(o.name);
                           if (!m_wantObject.isEmpty() && bucket == m_wantBucket)
                               m_object->setCurrentText(m_wantObject);
                       });
}

void PreviewDialog::showPreview()
{
    const QString bucket = m_bucket->currentText();
    const QString object = m_object->currentText();
    const QString etl = m_etl->currentText();
    if (!m_api || bucket.isEmpty() || object.isEmpty() || etl.isEmpty()) {
        m_status->setText(tr("Pick a bucket, an object and an ETL"));
        return;
    }
    m_status->setText(tr("Fetching ais://%1/%2 and its transform by %3…").arg(bucket, object, etl));
    m_pending = 2;
    auto done = [this] {
        if (--m_pending == 0) {
            m_status->setText(tr("Done"));
            Q_EMIT previewShown();
        }
    };
    m_api->getObject(bucket, object, {}, this, [this, done](const Result<QByteArray> &bytes) {
        bytes ? m_original->setPayload(*bytes) : m_original->setError(bytes.error().message);
        done();
    });
    m_api->getObject(bucket, object, etl, this, [this, done](const Result<QByteArray> &bytes) {
        bytes ? m_transformed->setPayload(*bytes) : m_transformed->setError(bytes.error().message);
        done();
    });
}

} // namespace Kiln::Console
