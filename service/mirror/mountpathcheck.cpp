#include "service/mirror/mountpathcheck.h"

#include "service/node/intracall.h"
#include "shared/api/json.h"
#include "shared/api/wire.h"

#include <QJsonArray>

namespace Kiln::Mirror {

Result<void> checkCounts(const QList<QPair<QString, int>> &counts, int copies)
{
    for (const auto &[tag, count] : counts) {
        if (count < 0)
            return makeError(ErrorCode::Unavailable,
                             QStringLiteral("cannot check mirror.copies: %1 did not report its "
                                            "mountpaths")
                                 .arg(tag));
        if (copies > count)
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("invalid mirror.copies: %1 (%2 has %3 mountpath%4; "
                                            "each copy needs its own)")
                                 .arg(copies)
                                 .arg(tag)
                                 .arg(count)
                                 .arg(count == 1 ? "" : "s"));
    }
    return {};
}

void checkCopies(QNetworkAccessManager &nam, const QList<Cluster::Snode> &targets, int copies,
                 QObject *context, std::function<void(Result<void>)> done)
{
    if (copies <= 1 || targets.isEmpty())
        return done(Result<void>{});
    Node::IntraRequest request;
    request.pathAndQuery = QStringLiteral("%1?%2=%3")
                               .arg(QLatin1String(Api::Route::Daemon),
                                    QLatin1String(Api::Query::What),
                                    QLatin1String(Api::What::Mountpaths));
    request.timeoutMs = 5000;
    Node::callNodes(nam, targets, request, context,
                    [copies, done](const QList<Node::IntraReply> &replies) {
                        QList<QPair<QString, int>> counts;
                        for (const Node::IntraReply &r : replies) {
                            int count = -1;
                            if (r.ok()) {
                                if (auto json = Api::parseObject(r.body, "mountpaths"))
                                    count = int(json->value("available").toArray().size());
                            }
                            counts.append({r.node.tag(), count});
                        }
                        done(checkCounts(counts, copies));
                    });
}

} // namespace Kiln::Mirror
