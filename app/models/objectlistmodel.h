#pragma once

#include "shared/api/apiclient.h"

#include <QAbstractTableModel>
#include <QList>

namespace Kiln::Console {

// The objects of one bucket (name, size), as the Cluster tab lists them for copy and rename.
class ObjectListModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Name, Size, ColumnCount };

    explicit ObjectListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void setObjects(const QString &bucket, const QList<Api::ObjectInfo> &objects);
    QString bucket() const { return m_bucket; }
    QString name(int row) const;

private:
    QString m_bucket;
    QList<Api::ObjectInfo> m_objects;
};

} // namespace Kiln::Console
