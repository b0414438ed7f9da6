#include "shared/cluster/snode.h"

#include "shared/cluster/hrw.h"
#include "shared/cluster/urlscheme.h"

#include <QJsonValue>

namespace Kiln::Cluster {
namespace {

QJsonObject netJson(const Snode &node)
{
    return QJsonObject{{"node_ip_addr", node.host},
                       {"daemon_port", QString::number(node.port)},
                       {"direct_url", node.url()}};
}

} // namespace

QString nodeTypeName(NodeType type)
{
    return type == NodeType::Proxy ? QStringLiteral("proxy") : QStringLiteral("target");
}

namespace {
QString &scheme()
{
    static QString value = QStringLiteral("http");
    return value;
}
} // namespace

void setUrlScheme(const QString &value)
{
    scheme() = value;
}

const QString &urlScheme()
{
    return scheme();
}

QString Snode::url() const
{
    return QStringLiteral("%1://%2:%3").arg(scheme(), host).arg(port);
}

QString Snode::tag() const
{
    return QStringLiteral("%1[%2]").arg(type == NodeType::Proxy ? "p" : "t", id);
}

Snode Snode::make(const QString &id, NodeType type, const QString &host, quint16 port)
{
    Snode node;
    node.id = id;
    node.type = type;
    node.host = host;
    node.port = port;
    node.idDigest = nodeIdDigest(id);
    return node;
}

QJsonObject Snode::toJson() const
{
    const QJsonObject net = netJson(*this);
    return QJsonObject{
        {"daemon_id", id},
        {"daemon_type", nodeTypeName(type)},
        {"public_net", net},
        {"intra_control_net", net},
        {"intra_data_net", net},
        {"flags", qint64(flags)},
        // Fits in 63 bits by construction (see nodeIdDigest), so a JSON number is exact.
        {"id_digest", qint64(idDigest)}};
}

Result<Snode> Snode::fromJson(const QJsonObject &json)
{
    Snode node;
    node.id = json.value("daemon_id").toString();
    if (node.id.isEmpty())
        return makeError(ErrorCode::InvalidArgument, "node: missing daemon_id");
    const QString type = json.value("daemon_type").toString();
    if (type == "proxy")
        node.type = NodeType::Proxy;
    else if (type == "target")
        node.type = NodeType::Target;
    else
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("node %1: bad daemon_type \"%2\"").arg(node.id, type));
    const QJsonObject net = json.value("public_net").toObject();
    node.host = net.value("node_ip_addr").toString();
    bool ok = false;
    const uint port = net.value("daemon_port").toString().toUInt(&ok);
    if (node.host.isEmpty() || !ok || port == 0 || port > 65535)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("node %1: bad public_net address").arg(node.id));
    node.port = quint16(port);
    node.flags = quint64(json.value("flags").toInteger());
    node.idDigest = nodeIdDigest(node.id);
    return node;
}

} // namespace Kiln::Cluster
