#pragma once

#include <QStringList>

namespace Kiln::Metrics {

class Registry;

// Adds collectors to registry that read, at each scrape, what Prometheus client libraries call
// process_*: CPU seconds, resident and virtual memory, open fds, threads and start time, from
// /proc/self. Linux only, like kilnd.
void addProcessCollector(Registry &registry);

// Adds a collector of each folder's filesystem capacity, used and available bytes
// (kiln_mountpath_*_bytes{mountpath}), read with statfs at each scrape.
void addMountpathCollector(Registry &registry, const QStringList &mountpaths);

} // namespace Kiln::Metrics
