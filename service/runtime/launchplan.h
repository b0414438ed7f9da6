#pragma once

#include "service/runtime/instance.h"
#include "shared/core/result.h"

#include <QProcessEnvironment>
#include <QStringList>

namespace Kiln::Runtime {

class ImageCatalogue;

// The aistore SDK version init_class ETLs get when the client did not say its own.
inline constexpr char DefaultSdkVersion[] = "1.25.0";

// How the local runtime runs one instance: the program, its environment, and what it needs
// first (a venv with these requirements, files written into its work dir).
struct LaunchPlan
{
    QString program; // as given: resolved against the venv's bin/ and PATH at start
    QStringList arguments;
    QProcessEnvironment environment;
    QString workDir;
    QStringList requirements; // empty: no venv, the system interpreter
    QList<QPair<QString, QByteArray>> files; // relative path in workDir -> content
    int port = 0; // 0 for io://
    QString probePath; // readiness GET path (HTTP instances)
    bool io = false; // io://: no server; the program runs once per object
    // io:// code: the fork server's arguments (IoForkServer); the instance runs it, and each
    // object's process is forked from it, when the target has kiln-io-attach. Empty otherwise.
    QStringList forkServerArguments;
};

// Kubernetes' $(VAR) expansion in command, args and env values: $(VAR) becomes VAR's value when
// VAR is defined, $$(VAR) is a literal $(VAR), anything else stays as written.
QString expandKubeVars(const QString &text, const QProcessEnvironment &env);

// Rewrites a hard-coded container port in arguments ("--port 8000", "--port=8000", "-p 8000",
// "0.0.0.0:8000") to the port this instance really gets, so instances of many targets can share
// one machine.
QStringList overridePort(const QStringList &arguments, int containerPort, int port);

// True for images that are a Python interpreter plus the command the spec gives: python:*,
// aistorage/runtime_python:*.
bool isPythonImage(const QString &image);

// True when the spec can run as a local process: code, a python image, or an image the
// catalogue (stock or user mapping) knows.
bool hasLocalWay(const InstanceSpec &spec, const ImageCatalogue *catalogue);

// The 400 for an image no local way and no container engine can run; engineState says why the
// engine path is closed ("etl.containers is off", "no docker or podman answers").
Error cannotRunImage(const QString &image, const QString &engineState);

// Builds the plan for a spec, or says why this machine cannot run it locally. The catalogue
// (may be null) maps non-python images to kiln_image_server.py or to a user's command.
Result<LaunchPlan> planLocalLaunch(const InstanceSpec &spec, int port, const QString &pythonProgram,
                                   const ImageCatalogue *catalogue = nullptr);

} // namespace Kiln::Runtime
