#include "service/metrics/registry.h"

#include "service/metrics/textformat.h"

#include <QByteArray>
#include <QtGlobal>

namespace Kiln::Metrics {

Registry &Registry::global()
{
    static Registry registry;
    return registry;
}

template<class S>
Family<S> &Registry::family(const std::string &name, const std::string &help, MetricType type,
                            std::vector<std::string> labelNames, typename Family<S>::Make make)
{
    std::lock_guard lock(m_mutex);
    auto &slot = m_families[name];
    if (!slot) {
        const bool plain = labelNames.empty();
        auto created
            = std::make_unique<Family<S>>(name, help, type, std::move(labelNames), std::move(make));
        if (plain)
            created->unlabelled(); // exported as 0 from the start, as client libraries do
        slot = std::move(created);
    }
    if (auto *existing = dynamic_cast<Family<S> *>(slot.get()); existing && slot->type() == type)
        return *existing;
    auto detached
        = std::make_unique<Family<S>>(name, help, type, std::move(labelNames), std::move(make));
    auto &ref = *detached;
    m_detached.push_back(std::move(detached));
    return ref;
}

CounterFamily &Registry::counter(const std::string &name, const std::string &help,
                                 std::vector<std::string> labelNames)
{
    return family<Counter>(name, help, MetricType::Counter, std::move(labelNames),
                           [] { return std::make_unique<Counter>(); });
}

GaugeFamily &Registry::gauge(const std::string &name, const std::string &help,
                             std::vector<std::string> labelNames)
{
    return family<Gauge>(name, help, MetricType::Gauge, std::move(labelNames),
                         [] { return std::make_unique<Gauge>(); });
}

HistogramFamily &Registry::histogram(const std::string &name, const std::string &help,
                                     std::vector<std::string> labelNames,
                                     std::vector<double> bounds)
{
    return family<Histogram>(name, help, MetricType::Histogram, std::move(labelNames),
                             [bounds] { return std::make_unique<Histogram>(bounds); });
}

void Registry::setConstLabel(const std::string &name, const std::string &value)
{
    std::lock_guard lock(m_mutex);
    for (auto &[n, v] : m_constLabels) {
        if (n == name) {
            v = value;
            return;
        }
    }
    m_constLabels.emplace_back(name, value);
}

void Registry::addCollector(std::function<void(Registry &)> collector)
{
    std::lock_guard lock(m_mutex);
    m_collectors.push_back(std::move(collector));
}

QByteArray Registry::render()
{
    std::vector<std::function<void(Registry &)>> collectors;
    {
        std::lock_guard lock(m_mutex);
        collectors = m_collectors;
    }
    for (const auto &collect : collectors)
        collect(*this); // outside the lock: collectors register families
    QByteArray out;
    std::lock_guard lock(m_mutex);
    for (const auto &[name, family] : m_families)
        appendFamily(out, *family, m_constLabels);
    return out;
}

void Registry::forEachFamily(const std::function<void(const FamilyBase &)> &fn) const
{
    std::lock_guard lock(m_mutex);
    for (const auto &[name, family] : m_families)
        fn(*family);
}

bool enabled()
{
    static const bool on = [] {
        const QByteArray v = qgetenv("KILN_METRICS").trimmed().toLower();
        return !(v == "off" || v == "0" || v == "false" || v == "no");
    }();
    return on;
}

} // namespace Kiln::Metrics
