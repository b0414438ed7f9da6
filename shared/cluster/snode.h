#pragma once

#include "shared/core/result.h"

#include <QJsonObject>
#include <QString>
#include <QUrl>

#include <cstdint>

namespace Kiln::Cluster {

enum class NodeType { Proxy, Target };

// One cluster member as the Smap lists it (AIS "Snode").
struct Snode
{
    QString id;
    NodeType type = NodeType::Target;
    QString host; // public address, e.g. 127.0.0.1
    quint16 port = 0;
    quint64 flags = 0;
    quint64 idDigest = 0;

    // Node flags AIS uses to take a node out of placement.
    static constexpr quint64 FlagMaintenance = 1u << 2;
    static constexpr quint64 FlagDecommission = 1u << 3;
    // Kiln's own (above AIS's bits): set with FlagMaintenance on a target that was told to stop
    // and is sending its objects off; it leaves the map when done, and a return clears both.
    static constexpr quint64 FlagLeaving = 1u << 16;

    QString url() const; // http://host:port
    bool inMaintenance() const { return (flags & (FlagMaintenance | FlagDecommission)) != 0; }
    // Tag used in AIS messages: p[<id>] / t[<id>].
    QString tag() const;

    QJsonObject toJson() const;
    static Result<Snode> fromJson(const QJsonObject &json);
    static Snode make(const QString &id, NodeType type, const QString &host, quint16 port);

    bool operator==(const Snode &) const = default;
};

QString nodeTypeName(NodeType type);

} // namespace Kiln::Cluster
