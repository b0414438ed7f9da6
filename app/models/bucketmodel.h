#pragma once

#include <QAbstractTableModel>
#include <QList>

namespace Kiln::Console {

// Buckets of the cluster with their object counts (counted by listing; -1 while unknown).
class BucketModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Name, Objects, Bytes, ColumnCount };

    explicit BucketModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void setBuckets(const QStringList &names);
    void setCount(const QString &bucket, qint64 objects, qint64 bytes);
    QStringList names() const;

private:
    struct Bucket
    {
        QString name;
        qint64 objects = -1;
        qint64 bytes = -1;
    };
    QList<Bucket> m_buckets;
};

} // namespace Kiln::Console
