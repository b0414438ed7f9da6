#pragma once

#include "service/runtime/childlimits.h"
#include "shared/core/result.h"

#include <QStringList>

namespace Kiln::Runtime {

// What the local runtime's sandbox hides and where bubblewrap is.
struct SandboxConfig
{
    bool enabled = true; // etl.sandbox; off only for development
    QString bwrap = QStringLiteral("bwrap");
    // The target's own files (data folder, mountpaths, promote folder, TLS key): never visible
    // inside, even where they lie below a folder the instance needs.
    QStringList hidden;
    // The target's mountpaths: shown read-only to an ETL that reads objects by path (arg_type
    // fqn), as AIS mounts them into its ETL pods; hidden from every other ETL.
    QStringList objectFolders;
};

// One process to run sandboxed: an instance's server, or an io:// transform of one object.
struct SandboxJob
{
    QString program; // absolute, as the runtime resolved it
    QStringList arguments;
    QString etlDir; // the instance's own folder: the only writable one
    QString workingDir; // its working directory inside (a pod's workingDir); empty: etlDir
    QString venvDir; // read-only; empty: none
    bool readsObjectFiles = false; // arg_type fqn: the mountpaths, read-only
};

// The bwrap command line that runs a job, and the host folder QProcess starts it in.
struct SandboxedCommand
{
    QString program;
    QStringList arguments;
    QString hostWorkingDir;
};

// Runs an ETL instance's process under bubblewrap: a read-only view of the system folders, the
// interpreter and the venv; its own folder as the only writable place; a private /tmp, /proc
// and /dev; no capabilities, uid and gid 65534 in a user namespace, private PID, IPC and UTS
// namespaces; it dies with its target. The network stays shared: the instance serves its target
// on 127.0.0.1 and calls it back. Nothing else of the host (other targets' data, /home, /root,
// /var) is mounted at all. docs/security.md says what this does and does not stop.
class Sandbox
{
public:
    explicit Sandbox(SandboxConfig config = {});

    bool enabled() const { return m_config.enabled; }
    // The command that runs the job, or why it cannot run sandboxed (no bwrap).
    Result<SandboxedCommand> wrap(const SandboxJob &job) const;
    // bwrap's arguments before the job's program (exposed for tests).
    QStringList bwrapArguments(const SandboxJob &job) const;

    // Folders and files beyond the system's that the job must read: the venv and the
    // interpreter it was made from, the program's installation, and the folders of absolute paths among the
    // arguments.
    static QStringList readOnlyPathsFor(const SandboxJob &job);

private:
    SandboxConfig m_config;
    QString m_bwrap; // resolved once; empty when not installed
};

} // namespace Kiln::Runtime
