#pragma once

#include "shared/api/bprops.h"

#include <QAbstractTableModel>
#include <QList>

namespace Kiln::Console {

// Buckets of the cluster with their object counts (counted by listing; -1 while unknown), their
// redundancy (mirror copies, erasure coding) and how many objects lack copies.
class BucketModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Name, Objects, Bytes, Redundancy, Lacking, ColumnCount };

    explicit BucketModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void setBuckets(const QStringList &names);
    // copiesPerObject: each listed object's copies on its target, for the Lacking column.
    void setCount(const QString &bucket, qint64 objects, qint64 bytes,
                  const QList<int> &copiesPerObject = {});
    // From the bucket's props: "mirror ×2", "EC 2+1" or "none", and the copies it wants.
    void setRedundancy(const Api::BucketProps &props);
    QStringList names() const;

private:
    struct Bucket
    {
        QString name;
        qint64 objects = -1;
        qint64 bytes = -1;
        QString redundancy; // empty while unknown
        int wantedCopies = 0; // 0 while unknown
        QList<int> copies; // per listed object
    };
    qint64 lacking(const Bucket &b) const;
    QList<Bucket> m_buckets;
};

} // namespace Kiln::Console
