#pragma once

#include "service/etl/comm/etlcomm.h"
#include "service/etl/communicator.h"
#include "service/runtime/instance.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QProcess>
#include <QTimer>

#include <chrono>
#include <memory>

class QFile;
class QLocalSocket;

namespace Kiln::Etl {

class IoProcessPool;
class ProcessBodySource;

// One object through an io:// ETL: a process of its own (the seeds' programs read stdin to the
// end and exit, so nothing is reused between objects; IoProcessPool may have started it before
// the object came), fed the object's file on stdin as the pipe
// drains, its stdout streamed to the caller. Owns the process until its output is handed over,
// the obj_timeout timer (which also bounds the stream), and the tail of the program's stderr for
// the error. Answers done once; deletes itself once it failed and the process is gone, and lives
// as the body's child after a success. Lives on the target's main thread.
class IoTransform final : public QObject
{
    Q_OBJECT
public:
    IoTransform(TransformJob job, std::chrono::milliseconds timeout, const CommDeps &deps,
                QObject *context, Communicator::Done done, QObject *parent);
    ~IoTransform() override;
    Q_DISABLE_COPY_MOVE(IoTransform)

    // Runs the program for the object: a process of the pool's; done may run before this
    // returns.
    void start(IoProcessPool &pool, const Runtime::IoCommand &command);

private:
    void feed();
    void onStderr();
    void onFinished(int code, QProcess::ExitStatus status);
    void onError(QProcess::ProcessError error);
    void onTimeout();
    void startStream();
    void fail(const Kiln::Error &error);

    TransformJob m_job;
    std::chrono::milliseconds m_timeout;
    CommDeps m_deps;
    QPointer<QObject> m_context; // nobody to answer once it is gone
    Communicator::Done m_done;
    QTimer m_timer; // obj_timeout
    std::unique_ptr<QFile> m_input; // the object, on its way to stdin
    QProcess *m_process = nullptr; // child, then the body's once streaming
    QLocalSocket *m_output = nullptr; // the process's child: its stdout
    QPointer<IoProcessPool> m_pool; // told when the object is done with its process
    QByteArray m_stderrTail;
    QPointer<ProcessBodySource> m_body;
    bool m_answered = false;
};

} // namespace Kiln::Etl
