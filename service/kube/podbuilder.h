#pragma once

#include "shared/core/result.h"
#include "shared/etl/initmsg.h"

#include <QJsonObject>
#include <QString>

namespace Kiln::Kube {

// Labels Kiln puts on every pod it creates; the selectors find them again.
inline constexpr char ManagedByLabel[] = "app.kubernetes.io/managed-by";
inline constexpr char ManagedByValue[] = "kiln";
inline constexpr char EtlLabel[] = "kiln/etl";
inline constexpr char TargetLabel[] = "kiln/target";
inline constexpr char NodeLabel[] = "kiln/node";
inline constexpr char HostnameKey[] = "kubernetes.io/hostname";

// What one target asks for: its ETL instance as a pod on the target's own node.
struct PodRequest
{
    Etl::InitMsg msg;
    QString targetId;
    QString aisTargetUrl;
    QString nodeName; // empty: no node affinity (the scheduler picks)
};

// Builds the Pod object for a request: the user's pod spec (YAML, converted to JSON) or one
// built from an ETL spec (runtime image), then Kiln's name, labels, env (AIS_TARGET_URL,
// DIRECT_PUT, the message's env), required node affinity to the target's node, readiness
// defaults and terminationMessagePolicy FallbackToLogsOnError. Pure: no I/O.
class PodBuilder final
{
public:
    // <etl>-<target>, as a DNS-1123 label (lower case, '-', at most 63 characters).
    static QString podName(const QString &etlName, const QString &targetId);
    // A label value made of what labels may hold, at most 63 characters.
    static QString labelValue(const QString &text);
    // The selector of all pods of one ETL (and one target when given).
    static QString selector(const QString &etlName, const QString &targetId = {});

    static Result<QJsonObject> build(const PodRequest &request);

private:
    // The pod's name and labels (Kiln's selector labels over the spec's own).
    static QJsonObject metadata(const PodRequest &request, QJsonObject meta);
    // Node affinity to the target's node, when it has one; the spec may not fight it.
    static Result<void> pinToNode(const PodRequest &request, QJsonObject &spec);
};

// A YAML document as JSON: mappings, sequences, and scalars typed as YAML 1.2's core schema
// would (quoted scalars stay strings).
Result<QJsonValue> yamlToJson(const QByteArray &yaml);

} // namespace Kiln::Kube
