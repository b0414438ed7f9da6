#include "service/runtime/sandbox.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

namespace Kiln::Runtime {

namespace {

// Read-only system folders every interpreter needs; merged-/usr links are recreated as links.
const QStringList &systemDirs()
{
    // /var/lib/dpkg: init_class checks os_packages with dpkg-query (installed, not installable).
    static const QStringList dirs{"/usr",  "/etc",  "/bin",    "/sbin",        "/lib",
                                  "/lib32", "/lib64", "/libx32", "/var/lib/dpkg"};
    return dirs;
}

// The user and group the sandboxed process is (nobody), inside its own user namespace.
constexpr char SandboxId[] = "65534";

bool isUnder(const QString &path, const QString &dir)
{
    return path == dir || path.startsWith(dir.endsWith('/') ? dir : dir + '/');
}

bool isUnderAny(const QString &path, const QStringList &dirs)
{
    for (const QString &d : dirs) {
        if (isUnder(path, d))
            return true;
    }
    return false;
}

// Empty when the path does not exist.
QString canonical(const QString &path)
{
    return QFileInfo(path).canonicalFilePath();
}

// Where a program is installed: its folder, or the folder above bin/ (an interpreter's prefix
// holds its libraries) and above pyenv's shims/.
QString installPrefix(const QString &program)
{
    QDir dir = QFileInfo(program).absoluteDir();
    const QString name = dir.dirName();
    if (name == QLatin1String("bin") || name == QLatin1String("sbin")
        || name == QLatin1String("shims"))
        dir.cdUp();
    return dir.absolutePath();
}

// pyvenv.cfg's "home": the bin folder of the interpreter the venv was made from.
QString venvHome(const QString &venvDir)
{
    QFile cfg(venvDir + "/pyvenv.cfg");
    if (!cfg.open(QIODevice::ReadOnly))
        return {};
    for (const QByteArray &line : cfg.readAll().split('\n')) {
        const qsizetype eq = line.indexOf('=');
        if (eq > 0 && line.left(eq).trimmed() == "home")
            return QString::fromUtf8(line.mid(eq + 1).trimmed());
    }
    return {};
}

class PathSet
{
public:
    explicit PathSet(QString etlDir) : m_etlDir(std::move(etlDir)) {}

    void add(const QString &path)
    {
        const QString p = canonical(path);
        if (p.isEmpty() || p == "/" || isUnderAny(p, systemDirs())
            || (!m_etlDir.isEmpty() && isUnder(p, m_etlDir)) || isUnderAny(p, m_paths))
            return;
        m_paths.removeIf([&p](const QString &q) { return isUnder(q, p); });
        m_paths.append(p);
    }
    QStringList paths() const { return m_paths; }

private:
    QString m_etlDir;
    QStringList m_paths;
};

void appendSystem(QStringList &args)
{
    for (const QString &dir : systemDirs()) {
        const QFileInfo info(dir);
        if (info.isSymLink())
            args << "--symlink" << info.symLinkTarget().remove(0, 1) << dir;
        else if (info.isDir())
            args << "--ro-bind" << dir << dir;
    }
}

} // namespace

Sandbox::Sandbox(SandboxConfig config)
    : m_config(std::move(config))
    , m_bwrap(m_config.bwrap.contains('/') ? m_config.bwrap
                                             : QStandardPaths::findExecutable(m_config.bwrap))
{
}

QStringList Sandbox::readOnlyPathsFor(const SandboxJob &job)
{
    PathSet set(canonical(job.etlDir));
    if (!job.venvDir.isEmpty()) {
        set.add(job.venvDir);
        if (const QString home = venvHome(job.venvDir); !home.isEmpty())
            set.add(installPrefix(home + "/python"));
    }
    set.add(installPrefix(job.program));
    if (const QString real = canonical(job.program); !real.isEmpty())
        set.add(installPrefix(real));
    // A script's folder, as its interpreter puts it first on the import path.
    for (const QString &arg : job.arguments) {
        const QFileInfo info(arg);
        if (arg.startsWith('/') && info.exists())
            set.add(info.isDir() ? arg : info.absolutePath());
    }
    return set.paths();
}

QStringList Sandbox::bwrapArguments(const SandboxJob &job) const
{
    QStringList args{"--die-with-parent", "--unshare-user", "--uid", SandboxId, "--gid", SandboxId,
                     "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                     "--cap-drop", "ALL"};
    appendSystem(args);
    args << "--proc" << "/proc" << "--dev" << "/dev" << "--tmpfs" << "/tmp";
    QStringList hidden;
    for (const QString &h : m_config.hidden) {
        const QString c = canonical(h);
        hidden << (c.isEmpty() ? QDir::cleanPath(h) : c);
    }
    // A hidden path is never shown, even when an argument names it or something inside it.
    QStringList readOnly = readOnlyPathsFor(job);
    readOnly.removeIf([&hidden](const QString &p) { return isUnderAny(p, hidden); });
    for (const QString &p : readOnly)
        args << "--ro-bind" << p << p;
    // Hide the target's own files where a bound folder would show them; the rest of the host
    // is not mounted at all.
    const QStringList bound = readOnly + systemDirs();
    for (const QString &path : hidden) {
        const QFileInfo info(path);
        if (!info.exists() || !isUnderAny(path, bound))
            continue;
        if (info.isDir())
            args << "--tmpfs" << path;
        else
            args << "--ro-bind" << "/dev/null" << path;
    }
    if (job.readsObjectFiles) {
        for (const QString &mp : m_config.objectFolders)
            args << "--ro-bind-try" << mp << mp;
    }
    const QString etlDir = QDir::cleanPath(job.etlDir);
    const QString workingDir = job.workingDir.isEmpty() ? etlDir : QDir::cleanPath(job.workingDir);
    args << "--bind" << etlDir << etlDir;
    if (workingDir != etlDir)
        args << "--bind" << etlDir << workingDir; // a pod's workingDir is the ETL's folder
    args << "--chdir" << workingDir << "--setenv" << "HOME" << etlDir << "--setenv" << "TMPDIR"
         << "/tmp";
    return args;
}

Result<SandboxedCommand> Sandbox::wrap(const SandboxJob &job) const
{
    if (m_bwrap.isEmpty())
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("the ETL sandbox needs bubblewrap (\"%1\" is not on this "
                                        "machine): install it (apt-get install bubblewrap), or "
                                        "set etl.sandbox: false to run ETL code unconfined")
                             .arg(m_config.bwrap));
    QStringList args = bwrapArguments(job);
    args << "--" << job.program << job.arguments;
    return SandboxedCommand{m_bwrap, args, QDir::cleanPath(job.etlDir)};
}

} // namespace Kiln::Runtime
