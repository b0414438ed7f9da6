#pragma once

#include "service/target/targetcontext.h"
#include "shared/api/promoteargs.h"
#include "shared/api/writeform.h"

#include <QObject>
#include <QStringList>

namespace Kiln::Http {
class Exchange;
class Router;
} // namespace Kiln::Http

namespace Kiln::Target {

// A target's part of AIS's promote (files on the targets' filesystem become objects), in two
// phases the proxy drives: begin checks the source and answers how many files it sees and a
// digest of their names (equal answers from all targets mean a file share, so each promotes
// only the files whose objects it owns); commit promotes, each file delivered to its owner.
// Only files under the promote root are taken, symbolic links never. Lives on the target's main
// thread.
class PromoteRoutes final : public QObject
{
    Q_OBJECT
public:
    PromoteRoutes(TargetContext ctx, QString promoteRoot, QObject *parent = nullptr);

    void registerRoutes(Http::Router &router);

private:
public:
    struct Scan
    {
        QString folder; // empty: the source is one file
        QStringList files;
        QString digest;
    };

private:
    void onBegin(Http::Exchange ex);
    void onCommit(Http::Exchange ex);
    // The validated request and the files it names, or the answer already given.
    Result<Api::PromoteArgs> parseRequest(Http::Exchange &ex, QString *bucket);
    // Blocking (a folder walk): runs on the I/O pool.
    static Result<Scan> scan(const Api::PromoteArgs &args, const QString &root, const QString &tag);
    void promoteNext(Http::Exchange ex, std::shared_ptr<struct PromoteRun> run);
    void promoteOne(Http::Exchange ex, std::shared_ptr<struct PromoteRun> run, const QString &file,
                    const Api::ObjectRef &dst);

    TargetContext m_ctx;
    QString m_root;
};

} // namespace Kiln::Target
