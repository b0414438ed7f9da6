#include "service/kube/podbuilder.h"

#include <yaml-cpp/yaml.h>

#include <QJsonArray>
#include <QRegularExpression>

namespace Kiln::Kube {
namespace {

QJsonValue scalarToJson(const YAML::Node &node)
{
    const QString text = QString::fromStdString(node.Scalar());
    if (node.Tag() == "!")
        return text; // quoted: a string whatever it looks like
    if (text == "true" || text == "True" || text == "TRUE")
        return true;
    if (text == "false" || text == "False" || text == "FALSE")
        return false;
    if (text.isEmpty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
        return QJsonValue::Null;
    static const QRegularExpression integer(QStringLiteral("^[-+]?[0-9]+$"));
    static const QRegularExpression real(
        QStringLiteral("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$"));
    if (integer.match(text).hasMatch()) {
        bool ok = false;
        const qint64 v = text.toLongLong(&ok);
        if (ok)
            return v;
    }
    if (real.match(text).hasMatch())
        return text.toDouble();
    return text;
}

QJsonValue nodeToJson(const YAML::Node &node)
{
    switch (node.Type()) {
    case YAML::NodeType::Map: {
        QJsonObject o;
        for (const auto &item : node)
            o.insert(QString::fromStdString(item.first.as<std::string>()), nodeToJson(item.second));
        return o;
    }
    case YAML::NodeType::Sequence: {
        QJsonArray a;
        for (const auto &item : node)
            a.append(nodeToJson(item));
        return a;
    }
    case YAML::NodeType::Scalar:
        return scalarToJson(node);
    default:
        return QJsonValue::Null;
    }
}

QJsonObject envVar(const QString &name, const QString &value)
{
    return QJsonObject{{"name", name}, {"value", value}};
}

QJsonArray envList(const QList<Etl::EnvVar> &vars)
{
    QJsonArray a;
    for (const Etl::EnvVar &v : vars) {
        if (!v.fromField) // valueFrom entries of a pod YAML are already in its env
            a.append(envVar(v.name, v.value));
    }
    return a;
}

// The container AIStore would build from an ETL spec message (runtime image).
QJsonObject containerFromEtlSpec(const Etl::InitMsg &msg)
{
    QJsonObject c{{"name", msg.name},
                  {"image", msg.image},
                  {"imagePullPolicy", "Always"},
                  {"ports",
                   QJsonArray{QJsonObject{{"name", "default"},
                                          {"containerPort", Etl::DefaultContainerPort}}}},
                  {"readinessProbe",
                   QJsonObject{{"httpGet", QJsonObject{{"path", "/health"}, {"port", "default"}}}}},
                  {"env", envList(msg.runtimeEnv)}};
    if (!msg.command.isEmpty())
        c.insert("command", QJsonArray::fromStringList(msg.command));
    if (!msg.resources.isEmpty())
        c.insert("resources", msg.resources);
    return c;
}

QJsonObject withDefaults(QJsonObject container, const QJsonArray &extraEnv)
{
    QJsonArray env = container.value("env").toArray();
    for (const QJsonValue &v : extraEnv)
        env.append(v);
    container.insert("env", env);
    container.insert("terminationMessagePolicy", "FallbackToLogsOnError");
    if (container.contains("readinessProbe")) {
        QJsonObject probe = container.value("readinessProbe").toObject();
        if (!probe.contains("timeoutSeconds") && !probe.contains("periodSeconds")) {
            probe.insert("timeoutSeconds", 5);
            probe.insert("periodSeconds", 10);
        }
        container.insert("readinessProbe", probe);
    }
    return container;
}

} // namespace

Result<QJsonValue> yamlToJson(const QByteArray &yaml)
{
    try {
        return nodeToJson(YAML::Load(yaml.toStdString()));
    } catch (const YAML::Exception &e) {
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("pod spec: %1").arg(QString::fromStdString(e.msg)));
    }
}

QString PodBuilder::podName(const QString &etlName, const QString &targetId)
{
    QString name = (etlName + '-' + targetId).toLower();
    for (QChar &c : name) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            c = '-';
    }
    name.truncate(63);
    while (name.endsWith('-'))
        name.chop(1);
    while (name.startsWith('-'))
        name.remove(0, 1);
    return name;
}

QString PodBuilder::labelValue(const QString &text)
{
    QString v = text;
    for (QChar &c : v) {
        if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != '-' && c != '_' && c != '.')
            c = '-';
    }
    v.truncate(63);
    // Must start and end with an alphanumeric character.
    while (!v.isEmpty() && !v.back().isLetterOrNumber())
        v.chop(1);
    while (!v.isEmpty() && !v.front().isLetterOrNumber())
        v.remove(0, 1);
    return v;
}

QString PodBuilder::selector(const QString &etlName, const QString &targetId)
{
    QString s = QStringLiteral("%1=%2,%3=%4")
                    .arg(ManagedByLabel, ManagedByValue, EtlLabel, labelValue(etlName));
    if (!targetId.isEmpty())
        s += QStringLiteral(",%1=%2").arg(TargetLabel, labelValue(targetId));
    return s;
}

namespace {

// The pod the init message names: its pod spec, or one container made from its ETL spec.
Result<QJsonObject> basePod(const Etl::InitMsg &msg)
{
    QJsonObject pod;
    switch (msg.kind) {
    case Etl::InitKind::PodSpec: {
        auto json = yamlToJson(msg.podYaml);
        if (!json)
            return json.error();
        pod = json->toObject();
        break;
    }
    case Etl::InitKind::EtlSpec:
        pod = QJsonObject{
            {"spec", QJsonObject{{"containers", QJsonArray{containerFromEtlSpec(msg)}}}}};
        break;
    case Etl::InitKind::Code:
        return makeError(ErrorCode::Unsupported,
                         QStringLiteral("ETL %1: init code (a Python function) runs only with the "
                                        "local runtime; on Kubernetes give an image (ETL spec or "
                                        "pod spec)")
                             .arg(msg.name));
    }
    if (msg.comm == Etl::CommType::Io)
        return makeError(ErrorCode::Unsupported,
                         QStringLiteral("ETL %1: io:// runs only with the local runtime; on "
                                        "Kubernetes use hpush://, hpull://, hrev:// or ws://")
                             .arg(msg.name));
    return pod;
}

// Init containers get the ETL's env and report failures through their logs.
QJsonArray initContainers(const QJsonArray &given, const QJsonArray &etlEnv)
{
    QJsonArray inits;
    for (const QJsonValue &c : given) {
        QJsonObject init = c.toObject();
        QJsonArray env = init.value("env").toArray();
        for (const QJsonValue &v : etlEnv)
            env.append(v);
        init.insert("env", env);
        init.insert("terminationMessagePolicy", "FallbackToLogsOnError");
        inits.append(init);
    }
    return inits;
}

} // namespace

QJsonObject PodBuilder::metadata(const PodRequest &request, QJsonObject meta)
{
    meta.insert("name", podName(request.msg.name, request.targetId));
    meta.remove("namespace"); // the client's namespace decides
    meta.remove("generateName");
    QJsonObject labels = meta.value("labels").toObject();
    labels.insert(ManagedByLabel, ManagedByValue);
    labels.insert("app.kubernetes.io/name", "etl");
    labels.insert("app.kubernetes.io/component", "server");
    labels.insert(EtlLabel, labelValue(request.msg.name));
    labels.insert(TargetLabel, labelValue(request.targetId));
    if (!request.nodeName.isEmpty())
        labels.insert(NodeLabel, labelValue(request.nodeName));
    meta.insert("labels", labels);
    return meta;
}

Result<void> PodBuilder::pinToNode(const PodRequest &request, QJsonObject &spec)
{
    if (request.nodeName.isEmpty())
        return {};
    // Seed 000: the instance runs on its target's node, next to the data.
    QJsonObject affinity = spec.value("affinity").toObject();
    if (affinity.contains("podAntiAffinity"))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("ETL %1: the pod spec may not set podAntiAffinity; "
                                        "Kiln places the pod on its target's node")
                             .arg(request.msg.name));
    const QJsonObject term{{"matchExpressions",
                            QJsonArray{QJsonObject{{"key", HostnameKey},
                                                   {"operator", "In"},
                                                   {"values", QJsonArray{request.nodeName}}}}}};
    affinity.insert("nodeAffinity",
                    QJsonObject{{"requiredDuringSchedulingIgnoredDuringExecution",
                                 QJsonObject{{"nodeSelectorTerms", QJsonArray{term}}}}});
    spec.insert("affinity", affinity);
    return {};
}

Result<QJsonObject> PodBuilder::build(const PodRequest &request)
{
    const Etl::InitMsg &msg = request.msg;
    auto base = basePod(msg);
    if (!base)
        return base.error();
    QJsonObject pod = *base;
    pod.insert("apiVersion", "v1");
    pod.insert("kind", "Pod");
    pod.insert("metadata", metadata(request, pod.value("metadata").toObject()));

    QJsonObject spec = pod.value("spec").toObject();
    QJsonArray extraEnv{envVar("AIS_TARGET_URL", request.aisTargetUrl),
                        envVar("DIRECT_PUT", msg.supportDirectPut ? "true" : "false"),
                        envVar("direct_put", msg.supportDirectPut ? "true" : "false")};
    for (const QJsonValue &v : envList(msg.env))
        extraEnv.append(v);
    QJsonArray containers;
    for (const QJsonValue &c : spec.value("containers").toArray())
        containers.append(withDefaults(c.toObject(), extraEnv));
    if (containers.isEmpty())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("ETL %1: the pod spec has no container").arg(msg.name));
    spec.insert("containers", containers);
    if (spec.contains("initContainers"))
        spec.insert("initContainers",
                    initContainers(spec.value("initContainers").toArray(), envList(msg.env)));
    if (auto pinned = pinToNode(request, spec); !pinned)
        return pinned.error();
    pod.insert("spec", spec);
    pod.remove("status");
    return pod;
}

} // namespace Kiln::Kube
