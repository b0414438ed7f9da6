#pragma once

// Shared by the fuzz targets that decode JSON: the input as a JSON object, or nullopt when
// it is not one (the decoders under test take parsed JSON, as the routes hand it to them).
#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstddef>
#include <cstdint>
#include <optional>

namespace Kiln::Fuzz {

inline QByteArray bytes(const uint8_t *data, size_t size)
{
    return QByteArray(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
}

inline std::optional<QJsonDocument> jsonDoc(const uint8_t *data, size_t size)
{
    QJsonParseError error{};
    QJsonDocument doc = QJsonDocument::fromJson(bytes(data, size), &error);
    if (error.error != QJsonParseError::NoError)
        return std::nullopt;
    return doc;
}

} // namespace Kiln::Fuzz
