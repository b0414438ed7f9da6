#pragma once

#include <QString>

namespace Kiln::Etl {

// Lifecycle stage of an ETL, numbered as AIS stores them.
enum class Stage { Unknown = 0, Initializing = 1, Running = 2, Aborted = 3 };

inline QString stageName(Stage stage)
{
    switch (stage) {
    case Stage::Initializing:
        return QStringLiteral("Initializing");
    case Stage::Running:
        return QStringLiteral("Running");
    case Stage::Aborted:
        return QStringLiteral("Aborted");
    case Stage::Unknown:
        break;
    }
    return QStringLiteral("Unknown");
}

inline Stage parseStage(const QString &text)
{
    if (text == "Initializing")
        return Stage::Initializing;
    if (text == "Running")
        return Stage::Running;
    if (text == "Aborted")
        return Stage::Aborted;
    return Stage::Unknown;
}

} // namespace Kiln::Etl
