#pragma once

#include "shared/cluster/snode.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>

#include <functional>

class QNetworkAccessManager;
class QNetworkReply;

namespace Kiln::Node {

// The answer of one node to an intra-cluster call.
struct IntraReply
{
    Cluster::Snode node;
    int status = 0; // 0: no HTTP answer (connection refused, timeout)
    QByteArray body;
    QString error; // transport error text when status is 0
    QByteArray contentType;
    bool ok() const { return status >= 200 && status < 300; }
};

inline constexpr int DefaultConnectTimeoutMs = 5000;

struct IntraRequest
{
    QByteArray method = "GET";
    QString pathAndQuery; // "/v1/daemon/bmd?x=y"
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;
    int timeoutMs = 30000; // no byte moved for this long: the call fails
    // No connection to the node within this long (and nothing sent): the call fails. The peer is
    // a cluster node on the same network; a connection that takes this long is one whose packets
    // are dropped (a partition, a firewall), and would otherwise hang for all of timeoutMs.
    int connectTimeoutMs = DefaultConnectTimeoutMs;
};

// Node-to-node HTTP calls over a shared QNetworkAccessManager. Both calls return at once;
// the callback runs on context's thread, and not at all if context is gone.
void callNode(QNetworkAccessManager &nam, const Cluster::Snode &node, const IntraRequest &request,
              QObject *context, std::function<void(IntraReply)> done);
// The same call to every node; the callback gets all replies, in the order of nodes.
void callNodes(QNetworkAccessManager &nam, const QList<Cluster::Snode> &nodes,
               const IntraRequest &request, QObject *context,
               std::function<void(QList<IntraReply>)> done);

// Aborts reply when a connection it opens is not up within ms (Qt has no connect timeout of
// its own); connectTimedOut(reply) then says so. For node-to-node transfers made without
// callNode (object deliveries, rebalance).
void limitConnectTime(QNetworkReply *reply, int ms = DefaultConnectTimeoutMs);
bool connectTimedOut(const QNetworkReply *reply);

// Header that marks a call as intra-cluster (internal list format, and so on).
inline constexpr char IntraHeader[] = "Kiln-Intra";

} // namespace Kiln::Node
