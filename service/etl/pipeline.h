#pragma once

#include "service/etl/communicator.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace Kiln::Etl {

class EtlManager;

// An object through a chain of ETLs (AIS's etl_name plus etl_pipeline, the CLI's "a>>b>>c"):
// each stage gets what the one before produced. The target runs the chain itself, so any comm
// type and any instance can be a stage: an intermediate result is spooled to a file on the
// target's mountpath and handed to the next stage like an object (hpull:// and hrev:// stages
// after the first get it by PUT, as AIS's stages get a direct put from the stage before); the
// last stage's answer streams to the caller. Spool files live until the stage reading them has
// answered (the last one's until its answer is read). Lives on the target's main thread.
class Pipeline final : public QObject
{
    Q_OBJECT
public:
    Pipeline(EtlManager *manager, Communicator *comm, QObject *parent = nullptr);

    // Where intermediate results go (a folder the store clears at start-up: <mountpath>/tmp).
    void setSpoolDir(const QString &dir) { m_spoolDir = dir; }
    // "t[<id>]", for AIS's error texts.
    void setNodeTag(const QString &tag) { m_tag = tag; }

    // The first ETL of job.pipeline that is not running here (an empty name included), if any.
    std::optional<QString> missingStage(const TransformJob &job) const;
    // AIS's error for such a stage (etl.GetPipeline; AIS answers it with 400).
    Kiln::Error missingStageError(const QString &name) const;

    // Same contract as Communicator::transform, for job.etlName then every job.pipeline stage.
    void transform(const TransformJob &job, QObject *context, Communicator::Done done);

private:
    struct Run;
    void runStage(std::shared_ptr<Run> run, int index);
    void spool(std::shared_ptr<Run> run, int index, std::unique_ptr<Http::BodySource> body);
    void fail(const std::shared_ptr<Run> &run, int index, const Kiln::Error &error);

    EtlManager *m_manager;
    Communicator *m_comm;
    QString m_spoolDir;
    QString m_tag;
};

} // namespace Kiln::Etl
