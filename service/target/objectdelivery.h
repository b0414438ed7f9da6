#pragma once

#include "service/target/objectinfo.h"
#include "shared/api/writeform.h"
#include "shared/core/result.h"

#include <QMultiHash>
#include <QObject>
#include <QPair>
#include <QSet>

#include <functional>
#include <memory>

class QFile;
class QNetworkAccessManager;
class QNetworkReply;

namespace Kiln::Http {
class BodySource;
}
namespace Kiln::Cluster {
class Smap;
class Snode;
} // namespace Kiln::Cluster

namespace Kiln::Target {

class ObjectStore;

// Intra-cluster PUTs carry the object's custom metadata here (a JSON object): a copy keeps it.
inline constexpr char CustomMdHeader[] = "Kiln-Custom-Md";

// Where one written object went.
struct Delivery
{
    qint64 size = 0;
    bool local = true; // false: PUT to the target that owns the destination
};

// Writes an object to the target that owns its name (HRW over the current cluster map): this
// one, atomically through the store, or another, by a streamed PUT of a whole file (the owner
// stores it as atomically). Copies, renames, transform-copies, promotions and bucket jobs all
// deliver through here. A destination is either whole or left as it was. Lives on the target's
// main thread; callbacks do not run once their context is gone.
class ObjectDelivery final : public QObject
{
    Q_OBJECT
public:
    struct Deps
    {
        ObjectStore *store = nullptr;
        QNetworkAccessManager *nam = nullptr;
        const Cluster::Smap *smap = nullptr;
        const Cluster::Snode *self = nullptr;
    };
    using Done = std::function<void(Result<Delivery>)>;
    // Asked between chunks of a streamed body; false stops the write (a job was aborted).
    using KeepGoing = std::function<bool()>;

    explicit ObjectDelivery(Deps deps, QObject *parent = nullptr);

    // The owner of a name, nullptr when the map has no target.
    const Cluster::Snode *ownerOf(const Api::ObjectRef &dst) const;
    bool isLocal(const Api::ObjectRef &dst) const;

    // A file on this target (an object, a promoted file) becomes dst, with custom metadata.
    // jobId (may be empty) tells the receiving target which job's "in" counters it feeds.
    void deliverFile(const QString &path, const Api::ObjectRef &dst, const CustomMd &custom,
                     const QString &jobId, QObject *context, Done done);
    // A streamed body (an ETL's answer) becomes dst. For another owner it is spooled to a
    // temporary file first, so the PUT has a length and a failure leaves nothing behind.
    void deliverBody(std::unique_ptr<Http::BodySource> body, const Api::ObjectRef &dst,
                     const QString &jobId, QObject *context, Done done, KeepGoing keepGoing = {});

    // Aborts the PUTs to other targets still running for context (a job that was aborted must
    // not wait for an owner that is cut off) and starts no more; their done callbacks get the
    // error.
    void cancel(QObject *context);

private:
    void putRemote(std::shared_ptr<QFile> file, const Api::ObjectRef &dst, const CustomMd &custom,
                   const QString &jobId, bool removeAfter, QObject *context, Done done);
    void sendPut(std::shared_ptr<QFile> file, const Api::ObjectRef &dst, const CustomMd &custom,
                 const QString &jobId, bool removeAfter, const QPair<QString, QString> &checksum,
                 QObject *context, Done done);
    void writeLocal(std::unique_ptr<Http::BodySource> body, const Api::ObjectRef &dst,
                    QObject *context, Done done, KeepGoing keepGoing);
    void spoolRemote(std::unique_ptr<Http::BodySource> body, const Api::ObjectRef &dst,
                     const QString &jobId, QObject *context, Done done, KeepGoing keepGoing);

    Deps m_deps;
    QMultiHash<QObject *, QNetworkReply *> m_puts; // remote PUTs running, by context
    QSet<QObject *> m_cancelled;                   // contexts cancel() was called for
};

} // namespace Kiln::Target
