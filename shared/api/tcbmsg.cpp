#include "shared/api/tcbmsg.h"

#include "shared/api/json.h"
#include "shared/api/names.h"
#include "shared/core/duration.h"

#include <QJsonArray>
#include <QRegularExpression>

namespace Kiln::Api {
namespace {

Error invalid(const QString &message)
{
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("invalid transform request: %1").arg(message));
}

bool boolField(const QJsonObject &o, QStringView key)
{
    const QJsonValue v = valueCi(o, key);
    if (v.isString())
        return v.toString().toLower() == "true";
    return v.toBool(false);
}

// etl-listrange's part of the message (AIS's TCOMsg): the selection and the destination.
Result<void> readListRange(TcbMsg &m, const QJsonObject &o)
{
    for (const QJsonValue &n : valueCi(o, u"objnames").toArray()) {
        const QString name = n.toString();
        if (auto valid = validateObjectName(name); !valid)
            return valid.error();
        m.objNames.append(name);
    }
    m.objTemplate = valueCi(o, u"template").toString();
    if (!m.objNames.isEmpty() && !m.objTemplate.isEmpty())
        return invalid("give objnames or template, not both");
    // AIS: a template without a brace range selects by prefix (the CLI sends --prefix so).
    if (!m.objTemplate.isEmpty() && !m.objTemplate.contains('{')) {
        if (m.prefix.isEmpty())
            m.prefix = m.objTemplate;
        m.objTemplate.clear();
    }
    if (!m.objTemplate.isEmpty()) {
        if (auto expanded = expandTemplate(m.objTemplate); !expanded)
            return expanded.error();
    }
    const QJsonObject to = valueCi(o, u"tobck").toObject();
    m.toBucket = valueCi(to, u"name").toString();
    const QString provider = valueCi(to, u"provider").toString();
    if (!provider.isEmpty() && provider != "ais")
        return invalid(
            QStringLiteral("destination provider \"%1\" is not supported").arg(provider));
    return {};
}

} // namespace

Result<TcbMsg> TcbMsg::fromJson(const QJsonValue &value, bool listRange)
{
    if (!value.isObject())
        return invalid("the action's value must be an object");
    const QJsonObject o = value.toObject();
    TcbMsg m;
    m.etlName = valueCi(o, u"id").toString();
    if (m.etlName.isEmpty())
        m.etlName = valueCi(o, u"etl_name").toString();
    for (const QJsonValue &p : valueCi(o, u"pipeline").toArray())
        m.pipeline.append(p.toString());
    const QJsonValue timeout = valueCi(o, u"request_timeout");
    if (timeout.isString() && !timeout.toString().isEmpty()) {
        auto d = parseDuration(timeout.toString());
        if (!d)
            return invalid(QStringLiteral("request_timeout: %1").arg(d.error().message));
        m.requestTimeout = *d;
    }
    m.prefix = valueCi(o, u"prefix").toString();
    while (m.prefix.endsWith('*'))
        m.prefix.chop(1);
    m.suffix = valueCi(o, u"suffix").toString();
    m.prepend = valueCi(o, u"prepend").toString();
    const QJsonValue ext = valueCi(o, u"ext");
    if (ext.isObject()) {
        const QJsonObject e = ext.toObject();
        for (auto it = e.begin(); it != e.end(); ++it) {
            QString from = it.key();
            QString to = it.value().toString();
            if (from.startsWith('.'))
                from.remove(0, 1);
            if (to.startsWith('.'))
                to.remove(0, 1);
            if (from.isEmpty() || to.isEmpty())
                return invalid("ext maps an extension to another; neither may be empty");
            m.ext.insert(from, to);
        }
    } else if (ext.isString() && !ext.toString().isEmpty()) {
        QString to = ext.toString(); // seed 001: one destination extension for every object
        if (to.startsWith('.'))
            to.remove(0, 1);
        m.ext.insert("*", to);
    } else if (!ext.isUndefined() && !ext.isNull()) {
        return invalid("ext must be an object such as {\"jpg\": \"png\"}");
    }
    m.dryRun = boolField(o, u"dry_run");
    m.force = boolField(o, u"force");
    m.latestVer = boolField(o, u"latest-ver");
    m.synchronize = boolField(o, u"synchronize");
    m.continueOnError = boolField(o, u"coer") || boolField(o, u"continue_on_error");
    const QJsonValue workers = valueCi(o, u"num-workers");
    m.numWorkers = workers.isString() ? workers.toString().toInt() : workers.toInt(0);
    if (m.numWorkers < -1 || m.numWorkers > 256)
        return invalid(
            QStringLiteral("num-workers must be -1, 0 or 1..256 (got %1)").arg(m.numWorkers));
    if (m.synchronize && !m.prepend.isEmpty())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("prepend option (\"%1\") is incompatible with the request "
                                        "to synchronize buckets")
                             .arg(m.prepend)); // AIS's errPrependSync
    if (listRange) {
        if (auto read = readListRange(m, o); !read)
            return read.error();
    }
    return m;
}

QJsonObject TcbMsg::toJson() const
{
    QJsonObject ext;
    for (auto it = this->ext.begin(); it != this->ext.end(); ++it)
        ext.insert(it.key(), it.value());
    QJsonObject o{{"id", etlName},
                  {"prefix", prefix},
                  {"suffix", suffix},
                  {"prepend", prepend},
                  {"ext", ext},
                  {"dry_run", dryRun},
                  {"force", force},
                  {"latest-ver", latestVer},
                  {"synchronize", synchronize},
                  {"num-workers", numWorkers},
                  {"coer", continueOnError},
                  {"pipeline", QJsonArray::fromStringList(pipeline)},
                  {"objnames", QJsonArray::fromStringList(objNames)},
                  {"template", objTemplate},
                  {"tobck", QJsonObject{{"name", toBucket}, {"provider", "ais"}}}};
    if (requestTimeout.count() > 0)
        o.insert("request_timeout", formatDuration(requestTimeout));
    return o;
}

QString TcbMsg::destinationName(const QString &source) const
{
    QString name = source;
    if (!ext.isEmpty()) {
        const qsizetype slash = name.lastIndexOf('/');
        const qsizetype dot = name.lastIndexOf('.');
        if (dot > slash + 0 && dot > 0) {
            const QString current = name.mid(dot + 1);
            const auto it = ext.constFind(current);
            if (it != ext.constEnd())
                name = name.left(dot + 1) + *it;
            else if (ext.contains("*"))
                name = name.left(dot + 1) + ext.value("*");
        } else if (ext.contains("*")) {
            name += '.' + ext.value("*");
        }
    }
    return prepend + name;
}

bool TcbMsg::selects(const QString &source) const
{
    return source.startsWith(prefix) && (suffix.isEmpty() || source.endsWith(suffix));
}

int TcbMsg::effectiveWorkers(int automatic) const
{
    if (numWorkers == -1)
        return 1;
    if (numWorkers > 0)
        return numWorkers;
    return automatic;
}

Result<QStringList> expandTemplate(const QString &tmpl, int limit)
{
    static const QRegularExpression range(
        QStringLiteral("\\{(\\d+)\\.\\.(\\d+)(?:\\.\\.(\\d+))?\\}|\\{([^{}]*,[^{}]*)\\}"));
    QStringList out{QString()};
    qsizetype pos = 0;
    auto it = range.globalMatch(tmpl);
    auto appendLiteral = [&out](const QString &text) {
        for (QString &s : out)
            s += text;
    };
    while (it.hasNext()) {
        const QRegularExpressionMatch m = it.next();
        appendLiteral(tmpl.mid(pos, m.capturedStart() - pos));
        pos = m.capturedEnd();
        QStringList parts;
        if (m.capturedLength(4) > 0) {
            parts = m.captured(4).split(',');
        } else {
            bool okA = false, okB = false, okC = true;
            const qint64 from = m.captured(1).toLongLong(&okA);
            const qint64 to = m.captured(2).toLongLong(&okB);
            const qint64 step = m.capturedLength(3) > 0 ? m.captured(3).toLongLong(&okC) : 1;
            if (!okA || !okB || !okC || step <= 0 || to < from)
                return makeError(
                    ErrorCode::InvalidArgument,
                    QStringLiteral("invalid range %1 in template \"%2\"").arg(m.captured(0), tmpl));
            const int width = m.captured(1).size();
            if ((to - from) / step + 1 > limit)
                return makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("template \"%1\" names more than %2 objects")
                                     .arg(tmpl)
                                     .arg(limit));
            for (qint64 v = from; v <= to; v += step)
                parts.append(QStringLiteral("%1").arg(v, width, 10, QChar('0')));
        }
        if (qint64(out.size()) * parts.size() > limit)
            return makeError(
                ErrorCode::InvalidArgument,
                QStringLiteral("template \"%1\" names more than %2 objects").arg(tmpl).arg(limit));
        QStringList next;
        next.reserve(out.size() * parts.size());
        for (const QString &prefix : out) {
            for (const QString &p : parts)
                next.append(prefix + p);
        }
        out = std::move(next);
    }
    appendLiteral(tmpl.mid(pos));
    return out;
}

Result<QString> bucketFromUname(const QString &uname)
{
    // <provider>/<ns>/<bucket>/ ; the global namespace is "@#".
    QStringList parts = uname.split('/');
    if (!parts.isEmpty() && parts.last().isEmpty())
        parts.removeLast();
    if (parts.size() == 1)
        return parts[0];
    if (parts.size() != 3 || parts[0] != "ais")
        return makeError(
            ErrorCode::InvalidArgument,
            QStringLiteral("invalid destination \"%1\" (expected ais/@#/<bucket>/)").arg(uname));
    return parts[2];
}

} // namespace Kiln::Api
