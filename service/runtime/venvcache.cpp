#include "service/runtime/venvcache.h"

#include "shared/core/logging.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTimer>

namespace Kiln::Runtime {

VenvCache::VenvCache(QString root, QString python, QObject *parent)
    : QObject(parent)
    , m_root(std::move(root))
    , m_python(std::move(python))
{
    const QString resolved = QStandardPaths::findExecutable(m_python);
    if (!resolved.isEmpty())
        m_python = QFileInfo(resolved).canonicalFilePath(); // e.g. /usr/bin/python3.11
}

QString VenvCache::keyFor(const QStringList &requirements) const
{
    QStringList normalized;
    for (const QString &r : requirements) {
        const QString t = r.trimmed();
        if (!t.isEmpty() && !t.startsWith('#'))
            normalized.append(t);
    }
    normalized.sort();
    normalized.removeDuplicates();
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(m_python.toUtf8() + '\n' + normalized.join('\n').toUtf8());
    return QString::fromLatin1(hash.result().toHex().left(20));
}

void VenvCache::ensure(const QStringList &requirements, QObject *context, Done done,
                       std::function<void(const QByteArray &)> log)
{
    const QString key = keyFor(requirements);
    const QString dir = m_root + '/' + key;
    if (QFileInfo::exists(dir + "/.ready")) {
        QMetaObject::invokeMethod(
            context, [done, dir] { done(dir); }, Qt::QueuedConnection);
        return;
    }
    const bool building = m_waiters.contains(key);
    m_waiters[key].append(Waiter{context, std::move(done), std::move(log)});
    if (!building)
        tryBuild(key, requirements);
}

void VenvCache::tryBuild(const QString &key, const QStringList &requirements)
{
    const QString dir = m_root + '/' + key;
    if (QFileInfo::exists(dir + "/.ready"))
        return finish(key, dir);
    if (!QDir().mkpath(m_root))
        return finish(
            key, makeError(ErrorCode::Internal, QStringLiteral("cannot create %1").arg(m_root)));
    auto lock = std::make_shared<QLockFile>(m_root + '/' + key + ".lock");
    lock->setStaleLockTime(30 * 60 * 1000);
    if (!lock->tryLock(0)) {
        // Another target (or process) builds it: look again shortly.
        QTimer::singleShot(300, this, [this, key, requirements] { tryBuild(key, requirements); });
        return;
    }
    if (QFileInfo::exists(dir + "/.ready"))
        return finish(key, dir);
    const QString tmp = dir + ".tmp";
    QDir(tmp).removeRecursively();
    Log::runtime().info("building python venv {} for: {}", key, requirements.join(", "));
    const QString reqFile = m_root + '/' + key + ".requirements.txt";
    {
        QFile f(reqFile);
        if (!f.open(QIODevice::WriteOnly) || f.write(requirements.join('\n').toUtf8() + '\n') < 0)
            return finish(
                key,
                makeError(ErrorCode::Internal, QStringLiteral("cannot write %1").arg(reqFile)));
    }
    auto build = std::make_shared<Build>();
    build->key = key;
    build->dir = dir;
    build->tmp = tmp;
    build->lock = lock;
    build->steps = {
        {m_python, "-m", "venv", tmp},
        {tmp + "/bin/python", "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
         "-q", "-r", reqFile},
    };
    runStep(build, 0);
}

void VenvCache::runStep(const std::shared_ptr<Build> &build, int index)
{
    if (index == build->steps.size())
        return install(*build);
    auto *process = new QProcess(this);
    process->setProcessChannelMode(QProcess::MergedChannels);
    connect(process, &QProcess::readyRead, this, [this, process, build] {
        const QByteArray chunk = process->readAll();
        build->output.append(chunk);
        if (build->output.size() > MaxOutput)
            build->output.remove(0, build->output.size() - MaxOutput);
        for (const Waiter &w : m_waiters.value(build->key))
            if (w.log)
                w.log(chunk);
    });
    connect(process, &QProcess::finished, this,
            [this, process, index, build](int code, QProcess::ExitStatus st) {
                process->deleteLater();
                if (st == QProcess::NormalExit && code == 0)
                    return runStep(build, index + 1);
                QDir(build->tmp).removeRecursively();
                build->lock->unlock();
                const QString tail = QString::fromUtf8(build->output.right(1500)).trimmed();
                finish(build->key,
                       makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("installing the ETL's Python dependencies failed "
                                                "(%1 exited with %2): %3")
                                     .arg(build->steps[index].mid(1, 3).join(' '))
                                     .arg(code)
                                     .arg(tail)));
            });
    connect(process, &QProcess::errorOccurred, this, [process](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            Q_EMIT process->finished(127, QProcess::CrashExit);
    });
    process->start(build->steps[index].first(), build->steps[index].mid(1));
}

void VenvCache::install(const Build &build)
{
    QFile::remove(build.dir + ".requirements.txt");
    QFile ready(build.tmp + "/.ready");
    ready.open(QIODevice::WriteOnly);
    ready.close();
    QDir(build.dir).removeRecursively();
    if (!QDir().rename(build.tmp, build.dir))
        return finish(build.key, makeError(ErrorCode::Internal,
                                           QStringLiteral("cannot move %1 into place")
                                               .arg(build.tmp)));
    build.lock->unlock();
    finish(build.key, build.dir);
}

void VenvCache::finish(const QString &key, const Result<QString> &result)
{
    const QList<Waiter> waiters = m_waiters.take(key);
    if (!result)
        Log::runtime().error("venv {}: {}", key, result.error().message);
    for (const Waiter &w : waiters) {
        if (w.context)
            w.done(result);
    }
}

} // namespace Kiln::Runtime
