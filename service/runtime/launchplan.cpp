#include "service/runtime/launchplan.h"

#include "service/runtime/imagecatalogue.h"
#include "service/runtime/ioforkserver.h"

#include <QFile>
#include <QRegularExpression>

namespace Kiln::Runtime {

QString expandKubeVars(const QString &text, const QProcessEnvironment &env)
{
    QString out;
    out.reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '$' && i + 2 < text.size()
            && text[i + 2] == '(') {
            out += '$'; // $$(...) -> literal $(...)
            ++i;
            continue;
        }
        if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '(') {
            const qsizetype close = text.indexOf(')', i + 2);
            if (close > 0) {
                const QString name = text.mid(i + 2, close - i - 2);
                if (env.contains(name)) {
                    out += env.value(name);
                    i = close;
                    continue;
                }
            }
        }
        out += text[i];
    }
    return out;
}

QStringList overridePort(const QStringList &arguments, int containerPort, int port)
{
    if (containerPort <= 0 || containerPort == port)
        return arguments;
    const QString from = QString::number(containerPort);
    const QString to = QString::number(port);
    static const QStringList portFlags{"--port", "-p", "--listen-port", "--http-port"};
    QStringList out = arguments;
    for (qsizetype i = 0; i < out.size(); ++i) {
        QString &a = out[i];
        if (i > 0 && portFlags.contains(out[i - 1]) && a == from) {
            a = to;
        } else if (a.startsWith("--port=") && a.mid(7) == from) {
            a = "--port=" + to;
        } else if (a.endsWith(':' + from) && !a.contains('/')) {
            a = a.left(a.size() - from.size()) + to; // host:port
        }
    }
    return out;
}

bool isPythonImage(const QString &image)
{
    QString repo = image.section('@', 0, 0); // drop a digest
    const qsizetype slash = repo.lastIndexOf('/');
    const qsizetype colon = repo.lastIndexOf(':');
    if (colon > slash)
        repo = repo.left(colon); // drop the tag
    for (const QString &prefix : {QStringLiteral("docker.io/"), QStringLiteral("library/")}) {
        if (repo.startsWith(prefix))
            repo = repo.mid(prefix.size());
    }
    if (repo.startsWith("library/"))
        repo = repo.mid(8);
    return repo == "python" || repo == "aistorage/runtime_python";
}

namespace {

void putEnv(QProcessEnvironment &env, const QList<Etl::EnvVar> &vars)
{
    for (const Etl::EnvVar &v : vars)
        env.insert(v.name, expandKubeVars(v.value, env));
}

// A stock image: kiln_image_server.py in the implementation the catalogue names, with the
// process count the image's command asks for.
Result<void> planStockImage(LaunchPlan &plan, QProcessEnvironment &env, const ImageRule &rule,
                            const QString &image, const QStringList &command,
                            const QString &workDir, const QString &pythonProgram)
{
    if (!rule.acceptsCommand(command))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("image \"%1\": kilnd runs its local implementation, which "
                                        "stands in for the image's own server (%2); the command "
                                        "\"%3\" is not one of them. Give the image's server "
                                        "command, or none for its entrypoint")
                             .arg(image, rule.programs.join(", "), command.join(' ')));
    QFile server(QStringLiteral(":/kiln/images/kiln_image_server.py"));
    if (!server.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Internal, "kilnd was built without its image server");
    plan.files.append({"kiln_image_server.py", server.readAll()});
    env.insert("KILN_IMAGE", image);
    env.insert("KILN_IMAGE_IMPL", rule.implementation);
    env.insert("KILN_IMAGE_COMMAND", command.join(' '));
    env.insert("KILN_WORKERS", QString::number(commandWorkers(command)));
    plan.program = pythonProgram.isEmpty() ? QStringLiteral("python3") : pythonProgram;
    plan.arguments = {workDir + "/kiln_image_server.py"};
    return {};
}

} // namespace

bool hasLocalWay(const InstanceSpec &spec, const ImageCatalogue *catalogue)
{
    if (spec.msg.kind == Etl::InitKind::Code)
        return true;
    const QString image = spec.msg.effectiveImage();
    return (catalogue && catalogue->find(image)) || isPythonImage(image);
}

Error cannotRunImage(const QString &image, const QString &engineState)
{
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("image \"%1\" cannot run on this machine: the local runtime "
                                    "runs python images (python:*, aistorage/runtime_python:*) "
                                    "with the spec's command, the stock ais-etl images of its "
                                    "catalogue (`kilnd images` lists them), and the images kilnd's "
                                    "config maps to a local command (etl.images: [{image: %1, "
                                    "command: [...]}]); a container engine would run the image "
                                    "itself, but %2")
                         .arg(image, engineState));
}

namespace {

// What every local instance sees: AIS's variables for an ETL container and Kiln's own.
QProcessEnvironment baseEnvironment(const InstanceSpec &spec, int port, bool io)
{
    const Etl::InitMsg &msg = spec.msg;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove("KILN_AUTH_SECRET"); // signs every token of the cluster: never the user code's
    env.insert("PYTHONUNBUFFERED", "1");
    env.insert("AIS_TARGET_URL", spec.aisTargetUrl);
    env.insert("KILN_ETL_NAME", msg.name);
    env.insert("KILN_TARGET_ID", spec.targetId);
    // AIS emits the lower-case name; its Python framework reads the upper-case one: set both.
    env.insert("direct_put", msg.supportDirectPut ? "true" : "false");
    env.insert("DIRECT_PUT", msg.supportDirectPut ? "true" : "false");
    env.insert("COMM_TYPE", Etl::commTypeName(msg.comm));
    env.insert("ARG_TYPE", Etl::argTypeName(msg.argType));
    if (!io)
        env.insert("PORT", QString::number(port));
    return env;
}

// init_code: the user's code.py under kiln_code_server.py (io://: code.py alone).
Result<void> planCode(LaunchPlan &plan, QProcessEnvironment &env, const InstanceSpec &spec)
{
    const Etl::InitMsg &msg = spec.msg;
    for (const QString &line : QString::fromUtf8(msg.dependencies).split('\n')) {
        const QString req = line.trimmed();
        if (!req.isEmpty() && !req.startsWith('#'))
            plan.requirements.append(req);
    }
    plan.files.append({"code.py", msg.code});
    env.insert("KILN_CODE_FILE", spec.workDir + "/code.py");
    env.insert("KILN_TRANSFORM_FUNC", msg.transformFunc);
    env.insert("MOD_NAME", "code");
    env.insert("FUNC_TRANSFORM", msg.transformFunc);
    env.insert("CHUNK_SIZE", QString::number(msg.chunkSize));
    putEnv(env, msg.env);
    plan.program = "python3";
    if (plan.io) {
        plan.arguments = {spec.workDir + "/code.py"};
        QFile forkServer(QStringLiteral(":/kiln/python/") + IoForkServer::ScriptName);
        if (!forkServer.open(QIODevice::ReadOnly))
            return makeError(ErrorCode::Internal, "kilnd was built without its io:// fork server");
        plan.files.append({IoForkServer::ScriptName, forkServer.readAll()});
        plan.forkServerArguments = {spec.workDir + '/' + IoForkServer::ScriptName,
                                    spec.workDir + "/code.py", IoForkServer::SocketName};
        return {};
    }
    QFile server(":/kiln/python/kiln_code_server.py");
    if (!server.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Internal, "kilnd was built without its code server");
    plan.files.append({"kiln_code_server.py", server.readAll()});
    plan.arguments = {spec.workDir + "/kiln_code_server.py"};
    return {};
}

// The container's command and port from a pod spec or an ETL spec, with the spec's env in env.
Result<QStringList> specCommand(LaunchPlan &plan, QProcessEnvironment &env,
                                const Etl::InitMsg &msg, int &containerPort)
{
    QStringList command;
    if (msg.kind == Etl::InitKind::PodSpec) {
        putEnv(env, msg.pod.env);
        for (const Etl::EnvVar &v : msg.pod.env) {
            if (v.fromField)
                return makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("env %1 uses valueFrom, which only Kubernetes can "
                                                "fill in; give it a value for the local runtime")
                                     .arg(v.name));
        }
        command = msg.pod.command + msg.pod.args;
        if (msg.pod.containerPort > 0)
            containerPort = msg.pod.containerPort;
        if (!msg.pod.probePath.isEmpty())
            plan.probePath = msg.pod.probePath;
        if (!msg.pod.workingDir.isEmpty())
            plan.workDir = msg.pod.workingDir;
    } else {
        command = msg.command;
    }
    putEnv(env, msg.env);
    putEnv(env, msg.runtimeEnv);
    return command;
}

// A user's mapping: its command replaces the image's, with $(PORT) and the spec's env expanded;
// the spec's own command is kept for the command's use.
void planUserMapping(LaunchPlan &plan, QProcessEnvironment &env, const ImageRule &rule,
                     const QString &image, const QStringList &specCommand)
{
    env.insert("KILN_IMAGE", image);
    env.insert("KILN_IMAGE_COMMAND", specCommand.join(' '));
    QStringList command = rule.command;
    for (QString &c : command)
        c = expandKubeVars(c, env);
    plan.program = command.takeFirst();
    plan.arguments = command;
}

// A python image: the spec's command, with PACKAGES in a venv; no command but a pickled class
// (the SDK's init_class) runs kiln_class_runtime.py under aistore[etl] of the client's version.
Result<void> planPythonImage(LaunchPlan &plan, QProcessEnvironment &env, const InstanceSpec &spec,
                             QStringList command, int containerPort, int port)
{
    const QString image = spec.msg.effectiveImage();
    for (const QString &p : env.value("PACKAGES").split(',', Qt::SkipEmptyParts))
        plan.requirements.append(p.trimmed());
    if (command.isEmpty() && env.contains("ETL_CLASS_PAYLOAD")) {
        QFile runtime(":/kiln/python/kiln_class_runtime.py");
        if (!runtime.open(QIODevice::ReadOnly))
            return makeError(ErrorCode::Internal, "kilnd was built without its class runtime");
        plan.files.append({"kiln_class_runtime.py", runtime.readAll()});
        const QString version = env.value("KILN_SDK_VERSION", QString::fromLatin1(DefaultSdkVersion));
        plan.requirements.prepend(QStringLiteral("aistore[etl]==") + version);
        command = QStringList{"python3", spec.workDir + "/kiln_class_runtime.py"};
    }
    if (command.isEmpty())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("image \"%1\" has no command in the spec: the local "
                                        "runtime runs the container's command (it cannot read "
                                        "the image's entrypoint)")
                             .arg(image));
    for (QString &c : command)
        c = expandKubeVars(c, env);
    if (!plan.io)
        command = overridePort(command, containerPort, port);
    plan.program = command.takeFirst();
    plan.arguments = command;
    return {};
}

// init_spec and pod specs: a stock image, a user's mapping, or a python image.
Result<void> planImage(LaunchPlan &plan, QProcessEnvironment &env, const InstanceSpec &spec,
                       int port, const QString &pythonProgram, const ImageCatalogue *catalogue)
{
    const QString image = spec.msg.effectiveImage();
    const ImageRule *rule = catalogue ? catalogue->find(image) : nullptr;
    if (!rule && !isPythonImage(image))
        return cannotRunImage(image, QStringLiteral("none is configured"));
    int containerPort = Etl::DefaultContainerPort;
    auto command = specCommand(plan, env, spec.msg, containerPort);
    if (!command)
        return command.error();
    if (rule && rule->origin == QLatin1String("stock"))
        return planStockImage(plan, env, *rule, image, *command, spec.workDir, pythonProgram);
    if (rule) {
        planUserMapping(plan, env, *rule, image, *command);
        return {};
    }
    return planPythonImage(plan, env, spec, *command, containerPort, port);
}

} // namespace

Result<LaunchPlan> planLocalLaunch(const InstanceSpec &spec, int port, const QString &pythonProgram,
                                   const ImageCatalogue *catalogue)
{
    LaunchPlan plan;
    plan.io = spec.msg.comm == Etl::CommType::Io;
    plan.port = plan.io ? 0 : port;
    plan.workDir = spec.workDir;
    plan.probePath = QStringLiteral("/health");
    QProcessEnvironment env = baseEnvironment(spec, port, plan.io);
    const Result<void> planned = spec.msg.kind == Etl::InitKind::Code
        ? planCode(plan, env, spec)
        : planImage(plan, env, spec, port, pythonProgram, catalogue);
    if (!planned)
        return planned.error();
    plan.environment = env;
    return plan;
}

} // namespace Kiln::Runtime
