#pragma once

#include "service/http/exchange.h"
#include "service/target/objectinfo.h"
#include "shared/core/ownedfd.h"

#include <QFile>

#include <memory>

namespace Kiln::Target {

class ObjectStore;

// The answers of a plain object read, shared by the routes on the node's thread (ObjectRoutes)
// and those on the HTTP worker threads (WorkerReads). They touch only the exchange, the object's
// file and its metadata, so they are safe on any thread.

// What AIS's GET, HEAD and PUT answers say of an object (HEAD adds more).
Http::Headers objectHeaders(const ObjectInfo &info);

// HEAD's headers for an object found on these mountpaths (a mirrored object's copies).
Http::Headers headHeaders(const ObjectInfo &info, const QString &selfTag,
                          const QStringList &presentMountpaths);

// Answers a GET (200, or 206/416 for a Range) with the object's bytes, which go out by sendfile
// on plain TCP. False, with nothing answered, when the file cannot be opened (gone meanwhile).
bool sendObject(Http::Exchange &ex, const ObjectStore &store, const ObjectInfo &info);
// The same with the object's file already open (ObjectStore::openPrimary).
void sendOpenObject(Http::Exchange &ex, const ObjectInfo &info, OwnedFd fd);

} // namespace Kiln::Target
