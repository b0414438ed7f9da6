#include "service/node/fatalreport.h"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <cxxabi.h>
#include <exception>
#include <execinfo.h>
#include <typeinfo>
#include <unistd.h>

namespace Kiln::Node {

namespace {

constexpr int kFatalSignals[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};

// Only async-signal-safe calls from here on: write(2), no allocation, no stdio. A report is
// built in a buffer and written at once, so a reader of the log never sees half a line.
class Line
{
public:
    Line &operator<<(const char *text)
    {
        while (*text && m_used < sizeof m_text - 1)
            m_text[m_used++] = *text++;
        return *this;
    }
    Line &operator<<(long value)
    {
        char digits[24];
        int i = sizeof digits;
        digits[--i] = '\0';
        const bool negative = value < 0;
        unsigned long v = negative ? 0UL - static_cast<unsigned long>(value)
                                   : static_cast<unsigned long>(value);
        do {
            digits[--i] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0 && i > 1);
        if (negative)
            digits[--i] = '-';
        return *this << (digits + i);
    }
    void write()
    {
        m_text[m_used++] = '\n';
        const char *p = m_text;
        while (m_used > 0) {
            const ssize_t n = ::write(STDERR_FILENO, p, m_used);
            if (n <= 0)
                return;
            p += n;
            m_used -= static_cast<size_t>(n);
        }
    }

private:
    char m_text[512];
    size_t m_used = 0;
};

// The frames go to stderr as raw addresses with their module (addr2line or `eu-addr2line -e
// kilnd` turns them into lines); backtrace() was called once at install, so its unwinder is
// loaded and the handler allocates nothing.
void writeBacktrace()
{
    void *frames[64];
    const int depth = ::backtrace(frames, 64);
    ::backtrace_symbols_fd(frames, depth, STDERR_FILENO);
}

void onFatalSignal(int sig)
{
    const char *name = sigabbrev_np(sig);
    (Line() << "\n"
            << kFatalMarker << " signal " << static_cast<long>(sig) << " (" << (name ? name : "?")
            << ") in pid " << static_cast<long>(::getpid()))
        .write();
    writeBacktrace();
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

// Names the exception before abort() turns it into a bare SIGABRT.
void onTerminate()
{
    Line line;
    line << kFatalMarker << " uncaught exception";
    if (std::type_info *type = abi::__cxa_current_exception_type())
        line << " of type " << type->name();
    if (std::exception_ptr current = std::current_exception()) {
        try {
            std::rethrow_exception(current);
        } catch (const std::exception &e) {
            line << ": " << e.what();
        } catch (...) { }
    }
    line << " in pid " << static_cast<long>(::getpid());
    line.write();
    writeBacktrace();
    std::signal(SIGABRT, SIG_DFL);
    std::abort();
}

} // namespace

void installFatalReport()
{
    void *warm[1];
    ::backtrace(warm, 1);
    std::set_terminate(onTerminate);
    for (int sig : kFatalSignals) {
        struct sigaction action = {};
        action.sa_handler = onFatalSignal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESETHAND;
        ::sigaction(sig, &action, nullptr);
    }
}

} // namespace Kiln::Node
