#include "shared/etl/initmsg.h"

#include "shared/api/json.h"
#include "shared/core/duration.h"
#include "shared/etl/etlname.h"

#include <QJsonArray>
#include <QRegularExpression>

namespace Kiln::Etl {
namespace {

// AIS's words (InitMsgBase.Validate, answered 501): its websocket communicator has no other mode.
constexpr char WsNeedsDirectPut[]
    = "WebSocket without direct put is not supported yet. Ensure that the "
      "`metadata.annotations.support_direct_put` annotation is set to `true` and that your ETL "
      "server properly implements the direct put mechanism";

Error invalid(const QString &message)
{
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("invalid etl init message: %1").arg(message));
}

// AIS sends code, dependencies and spec as base64 (Go []byte); the seeds' curl examples send
// plain text. Base64 wins when the text is strict base64.
QByteArray decodeBlob(const QJsonValue &value)
{
    const QByteArray raw = value.toString().toUtf8();
    const QByteArray trimmed = raw.trimmed();
    // Go's encoding pads to a multiple of 4; anything else is text, however short.
    if (trimmed.isEmpty() || trimmed.size() % 4 != 0)
        return raw;
    const auto decoded
        = QByteArray::fromBase64Encoding(trimmed, QByteArray::AbortOnBase64DecodingErrors);
    if (decoded && !decoded.decoded.isEmpty())
        return decoded.decoded;
    return raw;
}

Result<std::chrono::milliseconds> timeoutField(const QJsonObject &o, QStringView key,
                                               std::chrono::milliseconds fallback)
{
    const QJsonValue v = Api::valueCi(o, key);
    if (v.isUndefined() || v.isNull())
        return fallback;
    // A JSON number is seconds; read it through parseDuration, which bounds it (a cast of
    // 1e300 * 1000 to qint64 would be undefined).
    Result<std::chrono::milliseconds> d = parseDuration(
        v.isDouble() ? QString::number(v.toDouble(), 'g', 17) : v.toString());
    if (!d)
        return invalid(QStringLiteral("%1: %2").arg(key, d.error().message));
    if (d->count() < 0)
        return invalid(QStringLiteral("%1 must not be negative").arg(key));
    return d->count() == 0 ? fallback : *d;
}

Result<QList<EnvVar>> envField(const QJsonValue &v, const QString &field)
{
    QList<EnvVar> env;
    if (v.isUndefined() || v.isNull())
        return env;
    if (v.isObject()) { // the SDK's **kwargs shape, {"KEY": "value"}
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            env.append(EnvVar{it.key(), it.value().toVariant().toString(), false});
        return env;
    }
    if (!v.isArray())
        return invalid(QStringLiteral("%1 must be a list of {name, value}").arg(field));
    for (const QJsonValue &e : v.toArray()) {
        const QJsonObject o = e.toObject();
        const QString name = Api::valueCi(o, u"name").toString();
        if (name.isEmpty())
            return invalid(QStringLiteral("%1: every entry needs a name").arg(field));
        env.append(EnvVar{name, Api::valueCi(o, u"value").toVariant().toString(), false});
    }
    return env;
}

QJsonArray envJson(const QList<EnvVar> &env)
{
    QJsonArray out;
    for (const EnvVar &e : env)
        out.append(QJsonObject{{"name", e.name}, {"value", e.value}});
    return out;
}

Result<void> finishBase(InitMsg &msg, const QJsonObject &o)
{
    // "name" is today's key; seed 000's curl examples say "id".
    QString name = Api::valueCi(o, u"name").toString();
    if (name.isEmpty())
        name = Api::valueCi(o, u"id").toString();
    if (name.isEmpty() && msg.kind == InitKind::PodSpec)
        name = msg.pod.name;
    if (auto valid = EtlName::parse(name); !valid)
        return makeError(ErrorCode::InvalidArgument, valid.error().message);
    msg.name = name;

    QString comm = Api::valueCi(o, u"communication").toString();
    if (comm.isEmpty())
        comm = Api::valueCi(o, u"communication_type").toString();
    if (comm.isEmpty() && msg.kind == InitKind::PodSpec) {
        if (const auto annotated = msg.pod.annotatedCommType())
            comm = commTypeName(*annotated);
    }
    auto parsedComm = parseCommType(comm);
    if (!parsedComm)
        return parsedComm.error();
    msg.comm = *parsedComm;

    QString arg = Api::valueCi(o, u"argument").toString();
    if (arg.isEmpty())
        arg = Api::valueCi(o, u"arg_type").toString();
    auto parsedArg = parseArgType(arg);
    if (!parsedArg)
        return parsedArg.error();
    msg.argType = *parsedArg;

    std::chrono::milliseconds initDefault = DefaultInitTimeout;
    if (msg.kind == InitKind::PodSpec) {
        if (const auto wait = msg.pod.annotatedWaitTimeout(); wait && wait->count() > 0)
            initDefault = *wait;
    }
    auto initTimeout = timeoutField(o, u"init_timeout", initDefault);
    if (!initTimeout)
        return initTimeout.error();
    msg.initTimeout = *initTimeout;
    auto objTimeout = timeoutField(o, u"obj_timeout", DefaultObjTimeout);
    if (!objTimeout)
        return objTimeout.error();
    msg.objTimeout = *objTimeout;

    const QJsonValue directPut = Api::valueCi(o, u"support_direct_put");
    if (!directPut.isUndefined() && !directPut.isNull() && !directPut.isBool())
        return invalid("support_direct_put must be true or false");
    msg.supportDirectPut = directPut.toBool(false);
    // As in AIS, the pod's support_direct_put annotation, when present, decides.
    if (msg.kind == InitKind::PodSpec) {
        if (const auto annotated = msg.pod.annotatedDirectPut())
            msg.supportDirectPut = *annotated;
    }
    if (msg.comm == CommType::Ws && !msg.supportDirectPut)
        return makeError(ErrorCode::Unsupported, QString::fromLatin1(WsNeedsDirectPut));
    auto env = envField(Api::valueCi(o, u"env"), "env");
    if (!env)
        return env.error();
    msg.env = *env;
    if (msg.comm == CommType::Io && msg.kind == InitKind::EtlSpec && msg.command.isEmpty())
        return invalid("io:// needs a command that reads the object on stdin and writes the result "
                       "to stdout (runtime.command)");
    return {};
}

} // namespace

bool isKnownCodeRuntime(const QString &runtime)
{
    static const QRegularExpression re(QStringLiteral("^python3(\\.(6|7|8|9|10|11|12|13))?(v2)?$"));
    return re.match(runtime).hasMatch();
}

QString InitMsg::kindName() const
{
    switch (kind) {
    case InitKind::EtlSpec:
        return QStringLiteral("etl-spec");
    case InitKind::PodSpec:
        return QStringLiteral("spec");
    case InitKind::Code:
        return QStringLiteral("code");
    }
    return {};
}

QString InitMsg::effectiveImage() const
{
    switch (kind) {
    case InitKind::EtlSpec:
        return image;
    case InitKind::PodSpec:
        return pod.image;
    case InitKind::Code: {
        // "python3.11v2" -> aistorage/runtime_python:3.11; plain "python3" -> :3
        QString version = codeRuntime.mid(QStringLiteral("python").size());
        version.remove(QStringLiteral("v2"));
        return QStringLiteral("aistorage/runtime_python:") + version;
    }
    }
    return {};
}

QString InitMsg::cpuLimit() const
{
    if (kind == InitKind::PodSpec && !pod.cpuLimit.isEmpty())
        return pod.cpuLimit;
    return resources.value("limits").toObject().value("cpu").toVariant().toString();
}

bool InitMsg::readsObjectFiles() const
{
    if (argType == ArgType::Fqn)
        return true;
    for (const EnvVar &v : allEnv()) {
        if (v.name == "ETL_DIRECT_FQN" && v.value.toLower() == "true")
            return true;
    }
    return false;
}

QString InitMsg::memoryLimit() const
{
    if (kind == InitKind::PodSpec && !pod.memoryLimit.isEmpty())
        return pod.memoryLimit;
    return resources.value("limits").toObject().value("memory").toVariant().toString();
}

QList<EnvVar> InitMsg::allEnv() const
{
    QList<EnvVar> all;
    if (kind == InitKind::PodSpec)
        all = pod.env;
    all += env;
    all += runtimeEnv;
    return all;
}

Result<InitMsg> InitMsg::fromJson(const QByteArray &body)
{
    auto object = Api::parseObject(body, QStringLiteral("etl init message"));
    if (!object)
        return object.error();
    const QJsonObject &o = *object;
    if (o.isEmpty())
        return invalid("the body is empty");
    InitMsg msg;
    const QJsonValue runtime = Api::valueCi(o, u"runtime");
    const QJsonValue spec = Api::valueCi(o, u"spec");
    const QJsonValue code = Api::valueCi(o, u"code");
    if (runtime.isObject()) {
        // ETLSpecMsg: valid iff runtime.image is set.
        msg.kind = InitKind::EtlSpec;
        const QJsonObject rt = runtime.toObject();
        msg.image = Api::valueCi(rt, u"image").toString().trimmed();
        if (msg.image.isEmpty())
            return invalid("runtime.image is required");
        const QJsonValue command = Api::valueCi(rt, u"command");
        if (!command.isUndefined() && !command.isNull()) {
            if (!command.isArray())
                return invalid("runtime.command must be a list of strings");
            for (const QJsonValue &c : command.toArray())
                msg.command.append(c.toString());
        }
        auto env = envField(Api::valueCi(rt, u"env"), "runtime.env");
        if (!env)
            return env.error();
        msg.runtimeEnv = *env;
        msg.resources = Api::valueCi(o, u"resources").toObject();
    } else if (!spec.isUndefined() && !spec.isNull()) {
        if (!code.isUndefined() && !code.isNull())
            return invalid("give either spec or code, not both");
        msg.kind = InitKind::PodSpec;
        msg.podYaml = decodeBlob(spec);
        std::optional<CommType> comm;
        QString commText = Api::valueCi(o, u"communication").toString();
        if (commText.isEmpty())
            commText = Api::valueCi(o, u"communication_type").toString();
        if (!commText.isEmpty()) {
            // The request's comm type wins over the annotation (AIS does not read it at all).
            auto parsed = parseCommType(commText);
            if (!parsed)
                return parsed.error();
            comm = *parsed;
        }
        auto pod = parsePodSpec(msg.podYaml, comm);
        if (!pod)
            return pod.error();
        msg.pod = *pod;
    } else if (!code.isUndefined() && !code.isNull()) {
        msg.kind = InitKind::Code;
        msg.code = decodeBlob(code);
        if (msg.code.trimmed().isEmpty())
            return invalid("code is empty");
        msg.dependencies = decodeBlob(Api::valueCi(o, u"dependencies"));
        msg.codeRuntime = runtime.toString();
        if (msg.codeRuntime.isEmpty())
            return invalid("runtime is required with code (e.g. python3.11v2)");
        if (!isKnownCodeRuntime(msg.codeRuntime))
            return invalid(QStringLiteral("unsupported runtime \"%1\" (use python3, python3.X or "
                                          "python3.Xv2)")
                               .arg(msg.codeRuntime));
        const QJsonObject funcs = Api::valueCi(o, u"funcs").toObject();
        const QString transform = Api::valueCi(funcs, u"transform").toString();
        if (!transform.isEmpty())
            msg.transformFunc = transform;
        const QJsonValue chunk = Api::valueCi(o, u"chunk_size");
        msg.chunkSize = chunk.isString() ? chunk.toString().toLongLong() : chunk.toInteger();
        if (msg.chunkSize < 0 || msg.chunkSize > 1024 * 1024)
            return invalid("chunk_size must be between 0 and 1 MiB");
    } else if (runtime.isString()) {
        return invalid("runtime names a code runtime, but there is no code");
    } else {
        return invalid("expected runtime.image (etl-spec), spec (pod YAML) or code");
    }
    if (auto base = finishBase(msg, o); !base)
        return base.error();
    return msg;
}

Result<InitMsg> InitMsg::fromPodYaml(const QByteArray &yaml, const QString &name,
                                     const QString &comm)
{
    QJsonObject o{{"spec", QString::fromLatin1(yaml.toBase64())}};
    if (!name.isEmpty())
        o.insert("name", name);
    if (!comm.isEmpty())
        o.insert("communication", comm);
    return fromJson(Api::compact(o));
}

QJsonObject InitMsg::toJson() const
{
    QJsonObject o{{"name", name},
                  {"communication", commTypeName(comm)},
                  {"init_timeout", formatDuration(initTimeout)},
                  {"obj_timeout", formatDuration(objTimeout)},
                  {"support_direct_put", supportDirectPut}};
    if (argType != ArgType::Bytes)
        o.insert("argument", argTypeName(argType));
    if (!env.isEmpty())
        o.insert("env", envJson(env));
    switch (kind) {
    case InitKind::EtlSpec: {
        QJsonObject rt{{"image", image}};
        if (!command.isEmpty())
            rt.insert("command", QJsonArray::fromStringList(command));
        if (!runtimeEnv.isEmpty())
            rt.insert("env", envJson(runtimeEnv));
        o.insert("runtime", rt);
        if (!resources.isEmpty())
            o.insert("resources", resources);
        break;
    }
    case InitKind::PodSpec:
        o.insert("spec", QString::fromLatin1(podYaml.toBase64()));
        break;
    case InitKind::Code:
        o.insert("code", QString::fromLatin1(code.toBase64()));
        if (!dependencies.isEmpty())
            o.insert("dependencies", QString::fromLatin1(dependencies.toBase64()));
        o.insert("runtime", codeRuntime);
        o.insert("funcs", QJsonObject{{"transform", transformFunc}});
        o.insert("chunk_size", chunkSize);
        break;
    }
    return o;
}

} // namespace Kiln::Etl
