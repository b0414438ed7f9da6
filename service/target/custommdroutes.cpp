#include "service/target/custommdroutes.h"

#include "service/http/exchange.h"
#include "service/target/objectstore.h"
#include "shared/api/actmsg.h"
#include "shared/api/objectwire.h"

#include <QJsonObject>

namespace Kiln::Target {
namespace {

constexpr int MaxCustomBytes = 2 * 1024;

} // namespace

Result<void> validateCustomMd(const CustomMd &custom)
{
    static const QByteArray recordSeparator("\xe3/\xbd");
    qsizetype size = 0;
    for (auto it = custom.constBegin(); it != custom.constEnd(); ++it) {
        const QByteArray k = it.key().toUtf8(), v = it.value().toUtf8();
        size += k.size() + v.size();
        if (k.isEmpty())
            return makeError(
                ErrorCode::InvalidArgument,
                QStringLiteral("custom metadata: empty key (value=\"%1\")").arg(it.value()));
        if (k.contains('\x01') || v.contains('\x01') || k.contains(recordSeparator)
            || v.contains(recordSeparator))
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("custom metadata '\"%1\"=\"%2\"': key or value "
                                            "contains reserved symbol")
                                 .arg(it.key(), it.value()));
        if (size > MaxCustomBytes)
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("custom metadata: total size %1 exceeds max %2 bytes")
                                 .arg(size)
                                 .arg(MaxCustomBytes));
    }
    return {};
}

CustomMdRoutes::CustomMdRoutes(TargetContext ctx, QObject *parent)
    : QObject(parent)
    , m_ctx(ctx)
{ }

void CustomMdRoutes::patch(Http::Exchange ex, const QString &bucket, const QString &object)
{
    auto act = Api::ActMsg::parse(ex.body());
    if (!act)
        return ex.fail(act.error());
    const QString cname = Api::objectCname(bucket, object);
    CustomMd custom;
    bool strings = act->value.isObject();
    const QJsonObject value = act->value.toObject();
    for (auto it = value.constBegin(); strings && it != value.constEnd(); ++it) {
        strings = it.value().isString();
        custom.insert(it.key(), it.value().toString());
    }
    if (!strings)
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("%1: failed to unmarshal set-custom: expecting an "
                                                "object of string keys and string values")
                                     .arg(m_ctx.self.tag())));
    if (auto valid = validateCustomMd(custom); !valid)
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("%1: %2").arg(cname, valid.error().message)));
    const bool replaceAll = ex.request().queryFlag(Api::Query::NewCustom);
    auto updated = m_ctx.store.setCustom(bucket, object, custom, replaceAll);
    if (!updated) {
        if (updated.error().code == ErrorCode::NotFound)
            return ex.fail(m_ctx.objectNotFound(bucket, object));
        return ex.fail(updated.error());
    }
    ex.ok();
}

} // namespace Kiln::Target
