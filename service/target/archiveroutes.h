#pragma once

#include "service/target/archivesource.h"
#include "service/target/targetcontext.h"

#include <QObject>

namespace Kiln::Http {
class Exchange;
}

namespace Kiln::Target {

struct ObjectInfo;

// GET of a shard's contents (AIS's archive reads): ?archpath= answers one archived file,
// ?archregx=&archmode= a TAR of every file that matches. Lives on the target's main thread.
class ArchiveRoutes final : public QObject
{
    Q_OBJECT
public:
    explicit ArchiveRoutes(TargetContext ctx, QObject *parent = nullptr);

    // The archive read a GET asks for; nullopt-like (isArchiveRead() false) for a plain GET.
    // Answers the request itself (400) and returns an error when the query is bad.
    static Result<ArchiveRead> parse(Http::Exchange &ex);
    void get(Http::Exchange ex, const ObjectInfo &info, const ArchiveRead &read);

private:
    TargetContext m_ctx;
};

} // namespace Kiln::Target
