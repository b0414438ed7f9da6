#include "service/ec/slicemeta.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace Kiln::Ec {

QByteArray SliceMeta::toJson() const
{
    const QJsonObject json{{"size", objSize},  {"idx", index},           {"data", data},
                           {"parity", parity}, {"replica", replica},     {"ck_type", objCksumType},
                           {"ck", objCksum},   {"slice_ck", sliceCksum}, {"version", version}};
    return QJsonDocument(json).toJson(QJsonDocument::Compact);
}

std::optional<SliceMeta> SliceMeta::fromJson(const QByteArray &bytes)
{
    const QJsonDocument doc = QJsonDocument::fromJson(bytes);
    if (!doc.isObject())
        return std::nullopt;
    const QJsonObject json = doc.object();
    SliceMeta m;
    m.objSize = json.value("size").toInteger(-1);
    m.index = json.value("idx").toInt(-1);
    m.data = json.value("data").toInt(0);
    m.parity = json.value("parity").toInt(0);
    m.replica = json.value("replica").toBool(false);
    m.objCksumType = json.value("ck_type").toString();
    m.objCksum = json.value("ck").toString();
    m.sliceCksum = json.value("slice_ck").toString();
    m.version = json.value("version").toString();
    if (m.objSize < 0 || m.data < 1 || m.parity < 1 || m.index < 0 || m.index >= m.data + m.parity
        || m.sliceCksum.isEmpty())
        return std::nullopt;
    return m;
}

bool SliceMeta::sameObject(const SliceMeta &o) const
{
    return objSize == o.objSize && data == o.data && parity == o.parity && replica == o.replica
        && objCksumType == o.objCksumType && objCksum == o.objCksum && version == o.version;
}

} // namespace Kiln::Ec
