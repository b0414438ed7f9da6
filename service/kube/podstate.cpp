#include "service/kube/podstate.h"

#include "shared/etl/podspec.h"

#include <QJsonArray>
#include <QSet>

#include <algorithm>

namespace Kiln::Kube {
namespace {

// Waiting reasons that do not go away by waiting longer: the image cannot be pulled, the
// container keeps crashing, or its config is wrong. Init fails at once with them.
bool isStuck(const QString &reason)
{
    static const QSet<QString> stuck{"ImagePullBackOff",           "ErrImageNeverPull",
                                     "InvalidImageName",           "CrashLoopBackOff",
                                     "CreateContainerConfigError", "CreateContainerError",
                                     "RunContainerError"};
    return stuck.contains(reason);
}

QString describeTerminated(const QString &container, const QJsonObject &t)
{
    QString s = QStringLiteral("container %1 terminated with exit code %2")
                    .arg(container)
                    .arg(t.value("exitCode").toInt());
    if (const QString reason = t.value("reason").toString(); !reason.isEmpty())
        s += QStringLiteral(" (%1)").arg(reason);
    if (const QString message = t.value("message").toString().trimmed(); !message.isEmpty())
        s += QStringLiteral(": %1").arg(message.right(500));
    return s;
}

QString checkContainers(const QJsonArray &statuses, bool initContainers)
{
    for (const QJsonValue &v : statuses) {
        const QJsonObject cs = v.toObject();
        const QString name = cs.value("name").toString();
        const QJsonObject state = cs.value("state").toObject();
        if (const QJsonObject w = state.value("waiting").toObject(); !w.isEmpty()) {
            const QString reason = w.value("reason").toString();
            if (!isStuck(reason))
                continue;
            QString s = QStringLiteral("container %1 is waiting: %2").arg(name, reason);
            if (const QString message = w.value("message").toString(); !message.isEmpty())
                s += QStringLiteral(": %1").arg(message);
            // CrashLoopBackOff says nothing of the crash; the last run does.
            const QJsonObject last
                = cs.value("lastState").toObject().value("terminated").toObject();
            if (!last.isEmpty())
                s += QStringLiteral("; last run: ") + describeTerminated(name, last);
            return s;
        }
        if (const QJsonObject t = state.value("terminated").toObject(); !t.isEmpty()) {
            // An init container that exited 0 has done its job.
            if (initContainers && t.value("exitCode").toInt() == 0)
                continue;
            return describeTerminated(name, t);
        }
    }
    return {};
}

} // namespace

PodState PodState::fromPod(const QJsonObject &pod)
{
    PodState s;
    const QJsonObject status = pod.value("status").toObject();
    s.phase = status.value("phase").toString(QStringLiteral("Pending"));
    s.podIp = status.value("podIP").toString();
    s.deleting = pod.value("metadata").toObject().contains("deletionTimestamp");
    for (const QJsonValue &c : status.value("conditions").toArray()) {
        const QJsonObject cond = c.toObject();
        if (cond.value("type").toString() == QLatin1String("Ready"))
            s.ready = cond.value("status").toString() == QLatin1String("True");
    }
    s.fatal = checkContainers(status.value("initContainerStatuses").toArray(), true);
    if (s.fatal.isEmpty())
        s.fatal = checkContainers(status.value("containerStatuses").toArray(), false);
    if (s.fatal.isEmpty()
        && (s.phase == QLatin1String("Failed") || s.phase == QLatin1String("Succeeded"))) {
        s.fatal = QStringLiteral("pod phase is %1").arg(s.phase);
        if (const QString reason = status.value("reason").toString(); !reason.isEmpty())
            s.fatal += QStringLiteral(" (%1)").arg(reason);
        if (const QString message = status.value("message").toString(); !message.isEmpty())
            s.fatal += QStringLiteral(": %1").arg(message);
    }
    if (s.fatal.isEmpty() && s.phase == QLatin1String("Pending")) {
        // The scheduler cannot place it (e.g. the target's node is gone or full).
        for (const QJsonValue &c : status.value("conditions").toArray()) {
            const QJsonObject cond = c.toObject();
            if (cond.value("type").toString() == QLatin1String("PodScheduled")
                && cond.value("status").toString() == QLatin1String("False")
                && cond.value("reason").toString() == QLatin1String("Unschedulable"))
                s.fatal = QStringLiteral("the pod cannot be scheduled: %1")
                              .arg(cond.value("message").toString());
        }
    }
    return s;
}

double parseCpu(const QString &quantity)
{
    QString q = quantity.trimmed();
    double factor = 1;
    if (q.endsWith('n')) {
        factor = 1e-9;
        q.chop(1);
    } else if (q.endsWith('u')) {
        factor = 1e-6;
        q.chop(1);
    } else if (q.endsWith('m')) {
        factor = 1e-3;
        q.chop(1);
    }
    bool ok = false;
    const double v = q.toDouble(&ok);
    return ok && v >= 0 ? v * factor : -1;
}

qint64 parseBytes(const QString &quantity)
{
    return Etl::parseMemoryQuantity(quantity).value_or(-1);
}

PodUsage usageFromMetrics(const QJsonObject &podMetrics)
{
    PodUsage u;
    for (const QJsonValue &c : podMetrics.value("containers").toArray()) {
        const QJsonObject usage = c.toObject().value("usage").toObject();
        u.cpuCores += std::max(0.0, parseCpu(usage.value("cpu").toString()));
        u.memBytes += std::max<qint64>(0, parseBytes(usage.value("memory").toString()));
    }
    return u;
}

PodUsage limitsFromPod(const QJsonObject &pod)
{
    PodUsage u;
    for (const QJsonValue &c : pod.value("spec").toObject().value("containers").toArray()) {
        const QJsonObject limits
            = c.toObject().value("resources").toObject().value("limits").toObject();
        // Quantities may come back as JSON numbers from a YAML spec ("cpu: 2").
        const QString cpu = limits.value("cpu").toVariant().toString();
        const QString mem = limits.value("memory").toVariant().toString();
        if (!cpu.isEmpty())
            u.cpuCores += std::max(0.0, parseCpu(cpu));
        if (!mem.isEmpty())
            u.memBytes += std::max<qint64>(0, parseBytes(mem));
    }
    return u;
}

} // namespace Kiln::Kube
