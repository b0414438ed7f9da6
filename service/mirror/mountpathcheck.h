#pragma once

#include "shared/cluster/snode.h"
#include "shared/core/result.h"

#include <QList>

#include <functional>

class QNetworkAccessManager;
class QObject;

namespace Kiln::Mirror {

// The proxy's check of mirror.copies before it takes a bucket's new props: every target needs at
// least that many mountpaths, since the copies of an object live on distinct mountpaths of the
// target that owns it. Asks each target (what=mountpaths) and calls done on context's thread with
// the AIS error (400) naming the target with too few, or 503 when a target does not answer.
void checkCopies(QNetworkAccessManager &nam, const QList<Cluster::Snode> &targets, int copies,
                 QObject *context, std::function<void(Result<void>)> done);

// The same check over answers already gathered (target tag, its mountpath count); for tests.
Result<void> checkCounts(const QList<QPair<QString, int>> &counts, int copies);

} // namespace Kiln::Mirror
