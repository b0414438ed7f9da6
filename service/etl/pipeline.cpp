#include "service/etl/pipeline.h"

#include "service/etl/etlmanager.h"
#include "service/http/bodydrain.h"
#include "service/http/bodysource.h"
#include "shared/core/logging.h"

#include <QFile>
#include <QPointer>
#include <QRandomGenerator>

namespace Kiln::Etl {
namespace {

// One intermediate result on disk; the file goes with the last reference.
struct SpoolFile
{
    QString path;
    qint64 size = 0;
    ~SpoolFile()
    {
        if (!path.isEmpty())
            QFile::remove(path);
    }
};

// The last stage's answer, holding on to the spool file that stage reads from (a stage may read
// its input while it answers: FQN mode, ws://, a large hpush body).
class HoldingSource final : public Http::BodySource
{
public:
    HoldingSource(std::unique_ptr<Http::BodySource> inner, std::shared_ptr<SpoolFile> input)
        : m_inner(std::move(inner))
        , m_input(std::move(input))
    {
        m_inner->setParent(nullptr);
        connect(m_inner.get(), &BodySource::readyRead, this, &BodySource::readyRead);
        connect(m_inner.get(), &BodySource::failed, this, &BodySource::failed);
    }

    qint64 size() const override { return m_inner->size(); }
    QByteArray read(qint64 maxBytes) override { return m_inner->read(maxBytes); }
    bool atEnd() const override { return m_inner->atEnd(); }
    QString errorString() const override { return m_inner->errorString(); }

private:
    std::unique_ptr<Http::BodySource> m_inner;
    std::shared_ptr<SpoolFile> m_input;
};

} // namespace

struct Pipeline::Run
{
    TransformJob first; // the job as asked: first ETL, args, whose errors these are
    QStringList stages; // every ETL, the first included
    QPointer<QObject> context;
    Communicator::Done done;
    std::shared_ptr<SpoolFile> input; // what the current stage reads (none for the first)
};

Pipeline::Pipeline(EtlManager *manager, Communicator *comm, QObject *parent)
    : QObject(parent)
    , m_manager(manager)
    , m_comm(comm)
{ }

std::optional<QString> Pipeline::missingStage(const TransformJob &job) const
{
    for (const QString &name : job.pipeline) {
        const EtlEntry *entry = name.isEmpty() ? nullptr : m_manager->find(name);
        if (!entry || !entry->isRunning())
            return name;
    }
    return std::nullopt;
}

Error Pipeline::missingStageError(const QString &name) const
{
    // AIS: cmn.ErrETL{TID, ETLName} "entry not found in the target", context in brackets.
    QString context = m_tag;
    if (!name.isEmpty())
        context += QStringLiteral(",etl=\"%1\"").arg(name);
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("[%1] entry not found in the target").arg(context), "ErrETL");
}

void Pipeline::transform(const TransformJob &job, QObject *context, Communicator::Done done)
{
    if (const auto missing = missingStage(job))
        return done(missingStageError(*missing));
    auto run = std::make_shared<Run>();
    run->first = job;
    run->first.pipeline.clear();
    run->stages = QStringList{job.etlName} + job.pipeline;
    run->context = context;
    run->done = std::move(done);
    Log::etl().debug("etl[{}] {}/{} through {}", job.etlName, job.bucket, job.object,
                     run->stages.join(">>"));
    runStage(run, 0);
}

void Pipeline::runStage(std::shared_ptr<Run> run, int index)
{
    TransformJob job = run->first;
    job.etlName = run->stages[index];
    if (index > 0) {
        // The stage reads the previous stage's output; AIS passes etl_args to the first only.
        job.fqn = run->input->path;
        job.size = run->input->size;
        job.etlArgs.clear();
        job.pushBody = true;
        job.inlineRequest = false; // its errors are the first ETL's (see fail)
    }
    m_comm->transform(job, this, [this, run, index](Communicator::Output output) {
        if (!run->context)
            return; // the caller left: dropping the body ends the stage's call
        if (!output)
            return fail(run, index, output.error());
        std::unique_ptr<Http::BodySource> body = std::move(output).value();
        if (index + 1 == run->stages.size())
            return run->done(std::unique_ptr<Http::BodySource>(
                std::make_unique<HoldingSource>(std::move(body), run->input)));
        spool(run, index, std::move(body));
    });
}

void Pipeline::spool(std::shared_ptr<Run> run, int index, std::unique_ptr<Http::BodySource> body)
{
    auto out = std::make_shared<SpoolFile>();
    auto file
        = std::make_shared<QFile>(m_spoolDir + QStringLiteral("/etl-pipeline.")
                                  + QString::number(QRandomGenerator::global()->generate64(), 36));
    if (!file->open(QIODevice::WriteOnly | QIODevice::Truncate))
        return fail(run, index,
                    makeError(ErrorCode::Internal,
                              QStringLiteral("ETL pipeline: cannot create %1: %2")
                                  .arg(file->fileName(), file->errorString())));
    out->path = file->fileName();
    new Http::BodyDrain(
        std::move(body),
        [file](const QByteArray &chunk) { return file->write(chunk) == chunk.size(); },
        [this, run, index, out, file](bool ok, const QString &why) {
            out->size = file->size();
            file->close();
            if (!run->context)
                return;
            if (!ok)
                return fail(
                    run, index,
                    makeError(ErrorCode::Internal,
                              QStringLiteral("ETL error: %1: %2").arg(run->stages[index], why)));
            run->input = out; // the stage before's input goes now
            runStage(run, index + 1);
        },
        this);
}

void Pipeline::fail(const std::shared_ptr<Run> &run, int index, const Error &error)
{
    // The first stage records its own inline errors (communicator); a later stage's failure is
    // the object's error under the ETL the client named.
    if (index > 0)
        m_comm->recordError(run->first, error);
    Log::etl().debug("etl[{}] {}/{}: stage {} ({}) failed: {}", run->first.etlName,
                     run->first.bucket, run->first.object, index + 1, run->stages[index],
                     error.message);
    run->input.reset();
    run->done(error);
}

} // namespace Kiln::Etl
