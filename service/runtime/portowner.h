#pragma once

#include <QtGlobal>

#include <sys/types.h>

namespace Kiln::Runtime {

// Whether the TCP socket listening on this port (IPv4 or IPv6, any address) is held open by a
// process of the given process group, from /proc/net/tcp{,6} and /proc/<pid>/fd. An instance's
// readiness probe uses it: an answer on "its" port from somebody else's listener is no answer.
bool listenerBelongsToGroup(quint16 port, pid_t pgid);

} // namespace Kiln::Runtime
