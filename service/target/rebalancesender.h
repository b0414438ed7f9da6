#pragma once

#include "service/target/objectinfo.h"

#include <QObject>

#include <functional>

class QNetworkAccessManager;

namespace Kiln::Target {

// An intra-cluster PUT that moves an object with rebalance carries its source's mtime (ns) here;
// its version and checksum go in AIS's Ais-Version and Ais-Checksum-* headers.
inline constexpr char RebalanceHeader[] = "Kiln-Rebalance";

// How the rebalancer hands one object to its new owner: done(true) once the owner stored it
// (and verified its checksum), done(false) when it did not. done runs on context's thread, and
// not at all once context is gone. An interface so that tests can stand in for the network.
class RebalanceSender
{
public:
    virtual ~RebalanceSender() = default;
    virtual void send(const ObjectInfo &info, const QString &ownerUrl, QObject *context,
                      std::function<void(bool ok)> done)
        = 0;
};

// The real one: a streaming intra-cluster PUT of the object's file that keeps its version,
// checksum, custom metadata and mtime.
class HttpRebalanceSender final : public RebalanceSender
{
public:
    explicit HttpRebalanceSender(QNetworkAccessManager &nam)
        : m_nam(nam)
    {}
    void send(const ObjectInfo &info, const QString &ownerUrl, QObject *context,
              std::function<void(bool ok)> done) override;

private:
    QNetworkAccessManager &m_nam;
};

} // namespace Kiln::Target
