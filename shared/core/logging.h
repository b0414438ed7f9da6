#pragma once

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <QByteArray>
#include <QString>

#include <memory>
#include <string>

// Teach fmt to print Qt strings so log calls can pass them straight through.
template<> struct fmt::formatter<QString> : fmt::formatter<std::string_view>
{
    template<typename Ctx> auto format(const QString &s, Ctx &ctx) const
    {
        const QByteArray utf8 = s.toUtf8();
        return fmt::formatter<std::string_view>::format(
            std::string_view(utf8.constData(), size_t(utf8.size())), ctx);
    }
};

template<> struct fmt::formatter<QByteArray> : fmt::formatter<std::string_view>
{
    template<typename Ctx> auto format(const QByteArray &s, Ctx &ctx) const
    {
        return fmt::formatter<std::string_view>::format(
            std::string_view(s.constData(), size_t(s.size())), ctx);
    }
};

namespace Kiln::Log {

// One logger per subsystem, named kiln.<subsystem>, all on one shared sink set.
spdlog::logger &core();
spdlog::logger &http();
spdlog::logger &proxy();
spdlog::logger &target();
spdlog::logger &cluster();
spdlog::logger &store();
spdlog::logger &etl();
spdlog::logger &runtime();
spdlog::logger &kube();

// Sets every logger's level ("info") or one subsystem's ("http=debug"); false on a bad spec.
bool applyLevelSpec(const std::string &spec, std::string *error = nullptr);
// Prefixes every line with a node tag ("p[abc]", "t[xyz]") so a cluster's merged output reads well.
void setNodeTag(const std::string &tag);
// Routes qDebug/qWarning (incl. Qt's own categories) into kiln.core.
void installQtMessageHandler();

} // namespace Kiln::Log
