#pragma once

#include "service/ec/slicemeta.h"
#include "shared/cluster/snode.h"

#include <QList>
#include <QObject>

#include <functional>
#include <optional>

class QNetworkAccessManager;
class QNetworkRequest;

namespace Kiln::Ec {

// Slices between targets over the SliceRoutes: a PUT streamed from a file, a GET streamed into
// one (its bytes checked against the slice checksum the sender declares), a DELETE. Lives on
// the target's main thread; callbacks run there.
class SliceTransport final : public QObject
{
    Q_OBJECT
public:
    explicit SliceTransport(QNetworkAccessManager &nam, QObject *parent = nullptr);

    // done(true) once the node stored it; the node then keeps only the slices in keep.
    void send(const Cluster::Snode &node, const QString &bucket, const QString &object,
              const QString &path, const SliceMeta &meta, const QList<int> &keep,
              std::function<void(bool)> done);
    // The slice indices the node holds of the object (empty when it cannot say).
    void held(const Cluster::Snode &node, const QString &bucket, const QString &object,
              std::function<void(QList<int>)> done);
    // The node's slice `index` into the file at path: its metadata once the bytes matched it,
    // nullopt (and no file) otherwise.
    void fetch(const Cluster::Snode &node, const QString &bucket, const QString &object, int index,
               const QString &path, std::function<void(std::optional<SliceMeta>)> done);
    void drop(const Cluster::Snode &node, const QString &bucket, const QString &object);

private:
    QNetworkRequest request(const Cluster::Snode &node, const QString &bucket,
                            const QString &object, const QString &query = {}) const;

    QNetworkAccessManager &m_nam;
};

} // namespace Kiln::Ec
