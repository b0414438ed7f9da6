#include "service/proxy/etlreplies.h"

#include "service/node/intracall.h"
#include "shared/api/json.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace Kiln::Proxy {

QString replyMessage(const Node::IntraReply &r)
{
    if (r.status == 0)
        return QStringLiteral("target %1 did not answer: %2").arg(r.node.id, r.error);
    const auto json = Api::parseObject(r.body, "error");
    if (json && json->contains("message"))
        return json->value("message").toString();
    return QString::fromUtf8(r.body.left(2000)).trimmed();
}

QString targetError(const Node::IntraReply &rep)
{
    if (rep.ok() || rep.status == 404)
        return {};
    if (rep.status == 0)
        return rep.error;
    const QString message = QJsonDocument::fromJson(rep.body).object().value("message").toString();
    return message.isEmpty() ? QString::fromUtf8(rep.body.left(500)) : message;
}

bool allOk(const QList<Node::IntraReply> &replies)
{
    return std::all_of(replies.begin(), replies.end(),
                       [](const Node::IntraReply &rep) { return rep.ok(); });
}

QString firstError(const QList<Node::IntraReply> &replies)
{
    for (const Node::IntraReply &rep : replies) {
        if (rep.status >= 400 && rep.status < 500)
            return replyMessage(rep);
    }
    for (const Node::IntraReply &rep : replies) {
        if (!rep.ok())
            return replyMessage(rep);
    }
    return {};
}

} // namespace Kiln::Proxy
