#include "shared/core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <QtGlobal>

#include <map>
#include <mutex>

namespace Kiln::Log {
namespace {

const char *const Subsystems[]
    = {"core", "http", "proxy", "target", "cluster", "store", "etl", "runtime", "kube"};

struct Registry
{
    std::mutex mutex;
    spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    std::map<std::string, std::shared_ptr<spdlog::logger>> loggers;
    std::string tag;

    Registry()
    {
        sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%L%$ %n %v");
        for (const char *name : Subsystems) {
            auto logger = std::make_shared<spdlog::logger>(std::string("kiln.") + name, sink);
            logger->set_level(spdlog::level::info);
            loggers.emplace(name, logger);
        }
    }
};

Registry &registry()
{
    static Registry r;
    return r;
}

spdlog::logger &get(const char *name)
{
    return *registry().loggers.at(name);
}

} // namespace

spdlog::logger &core()
{
    return get("core");
}
spdlog::logger &http()
{
    return get("http");
}
spdlog::logger &proxy()
{
    return get("proxy");
}
spdlog::logger &target()
{
    return get("target");
}
spdlog::logger &cluster()
{
    return get("cluster");
}
spdlog::logger &store()
{
    return get("store");
}
spdlog::logger &etl()
{
    return get("etl");
}
spdlog::logger &runtime()
{
    return get("runtime");
}
spdlog::logger &kube()
{
    return get("kube");
}

bool applyLevelSpec(const std::string &spec, std::string *error)
{
    auto &r = registry();
    std::lock_guard lock(r.mutex);
    std::string subsystem;
    std::string levelName = spec;
    if (const auto eq = spec.find('='); eq != std::string::npos) {
        subsystem = spec.substr(0, eq);
        levelName = spec.substr(eq + 1);
    }
    const auto level = spdlog::level::from_str(levelName);
    // from_str answers "off" for anything it does not know; accept "off" only when asked for.
    if (level == spdlog::level::off && levelName != "off") {
        if (error)
            *error = "unknown log level \"" + levelName
                + "\" (use trace, debug, info, warn, error, critical or off)";
        return false;
    }
    if (subsystem.empty()) {
        for (auto &[name, logger] : r.loggers)
            logger->set_level(level);
        return true;
    }
    const auto it = r.loggers.find(subsystem);
    if (it == r.loggers.end()) {
        if (error) {
            *error = "unknown log subsystem \"" + subsystem + "\" (one of:";
            for (const char *name : Subsystems)
                *error += std::string(" ") + name;
            *error += ")";
        }
        return false;
    }
    it->second->set_level(level);
    return true;
}

void setNodeTag(const std::string &tag)
{
    auto &r = registry();
    std::lock_guard lock(r.mutex);
    r.tag = tag;
    r.sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%L%$ " + tag + " %n %v");
}

void installQtMessageHandler()
{
    qInstallMessageHandler([](QtMsgType type, const QMessageLogContext &ctx, const QString &msg) {
        const std::string text
            = std::string(ctx.category ? ctx.category : "qt") + ": " + msg.toStdString();
        switch (type) {
        case QtDebugMsg:
            core().debug(text);
            break;
        case QtInfoMsg:
            core().info(text);
            break;
        case QtWarningMsg:
            core().warn(text);
            break;
        case QtCriticalMsg:
        case QtFatalMsg:
            core().error(text);
            break;
        }
    });
}

} // namespace Kiln::Log
