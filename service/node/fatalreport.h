#pragma once

namespace Kiln::Node {

// Makes a kilnd that dies say so on stderr before it goes: an uncaught exception (with its
// what()) or a fatal signal (SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL) is written as one line
// starting with kFatalMarker, then the default action runs (so a core is still dumped where the
// system keeps cores). A supervisor restarts a crashed node, and the tests scan every kilnd's
// stderr for the marker, so no crash goes by unnoticed. Call once, first thing in main().
void installFatalReport();

inline constexpr const char *kFatalMarker = "kilnd fatal:";

} // namespace Kiln::Node
