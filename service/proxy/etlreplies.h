#pragma once

#include <QList>
#include <QString>

namespace Kiln::Node {
struct IntraReply;
}

// Reading the targets' answers to the proxy's ETL fan-outs.
namespace Kiln::Proxy {

// The message of a target's AIS error body, or its raw text.
QString replyMessage(const Node::IntraReply &r);

// Why a target could not give its part of an aggregate (logs, metrics), or empty when it did or
// simply does not hold the ETL (404). The AIS error body's message when there is one.
QString targetError(const Node::IntraReply &rep);

bool allOk(const QList<Node::IntraReply> &replies);

// The first real error of a failed phase: a target's own 4xx first, then any other failure.
QString firstError(const QList<Node::IntraReply> &replies);

} // namespace Kiln::Proxy
