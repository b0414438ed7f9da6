#pragma once

#include "shared/core/result.h"

#include <QHash>
#include <QLockFile>
#include <QObject>
#include <QPointer>
#include <QStringList>

#include <functional>
#include <memory>

namespace Kiln::Runtime {

// Python virtual environments, one per (interpreter, requirement set), built once and reused by
// every ETL and every target on the machine. A build happens in <key>.tmp and is renamed into
// place, under a lock file, so concurrent targets neither collide nor see a half-built venv.
class VenvCache final : public QObject
{
    Q_OBJECT
public:
    VenvCache(QString root, QString python, QObject *parent = nullptr);

    using Done = std::function<void(Result<QString> venvDir)>;
    // Calls done on this thread with the venv folder. `log` receives pip's output as it comes.
    void ensure(const QStringList &requirements, QObject *context, Done done,
                std::function<void(const QByteArray &)> log = {});
    QString keyFor(const QStringList &requirements) const;
    const QString &python() const { return m_python; }

private:
    struct Waiter
    {
        QPointer<QObject> context;
        Done done;
        std::function<void(const QByteArray &)> log;
    };
    // One venv being built: its steps (venv, pip install) run one after the other.
    struct Build
    {
        QString key, dir, tmp; // tmp: built there, renamed to dir once whole
        QList<QStringList> steps;
        QByteArray output; // the last MaxOutput bytes the steps printed
        std::shared_ptr<QLockFile> lock;
    };
    static constexpr qsizetype MaxOutput = 256 * 1024;

    void tryBuild(const QString &key, const QStringList &requirements);
    void runStep(const std::shared_ptr<Build> &build, int index);
    void install(const Build &build); // the steps are done: the venv goes into place
    void finish(const QString &key, const Result<QString> &result);

    QString m_root;
    QString m_python;
    QHash<QString, QList<Waiter>> m_waiters; // key -> callers waiting for it
};

} // namespace Kiln::Runtime
