#pragma once

#include "shared/core/result.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>

namespace Kiln::Target {

// What a target remembers of its latest rebalance across a restart (<data>/rebalance.json): the
// map version it follows (the job id g<version>), when it started and ended, and its counters.
// A target killed mid-run finds an unended record: a run on the same map version resumes it
// (same id, start time and counters), as AIS keeps a rebalance's state through a restart.
struct RebalanceRecord
{
    struct Stats
    {
        qint64 sentObjects = 0, sentBytes = 0, receivedObjects = 0, receivedBytes = 0;
        qint64 errors = 0;
    };
    qint64 smapVersion = 0;
    QDateTime started, ended;
    bool aborted = false;
    Stats stats;

    bool hasStarted() const { return started.isValid(); }
    bool hasEnded() const { return ended.isValid(); }
    QByteArray toJson() const;
    static Result<RebalanceRecord> fromJson(const QByteArray &json);
};

} // namespace Kiln::Target
