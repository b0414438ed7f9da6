// kiln-io-attach: one io:// object's process, forked by the ETL's fork server.
//
// A target starts this program for each io:// object, as it would start the ETL's program, with
// the object on stdin, the result socket on stdout and a pipe on stderr. It hands those three to
// the fork server listening on SOCKET (a Unix socket in the working directory; see
// resources/python/kiln_io_forkserver.py), which forks a process that runs the ETL's code on
// them. This program waits for that process and exits as it did: its status, or 128 + the
// signal that killed it. Killed itself, its connection closes and the server kills the process.
//
// Usage: kiln-io-attach SOCKET      (ETL_ARGS, when set, is passed on to the process)
//
// It links nothing but libc: it runs once per object, so its start-up is kept to the minimum.

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

constexpr int Failed = 125; // like env(1) and nohup(1): this program failed, not the ETL's

int fail(const char *what, const char *socketName)
{
    std::fprintf(stderr, "kiln-io-attach: %s (%s): %s\n", what, socketName,
                 errno ? std::strerror(errno) : "closed");
    return Failed;
}

int connectTo(const char *name)
{
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (std::strlen(name) >= sizeof(addr.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    std::strcpy(addr.sun_path, name);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (::connect(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// One message: "A" + ETL_ARGS (or "N" without it), with fds 0, 1 and 2 attached.
bool sendRequest(int sock)
{
    const char *args = std::getenv("ETL_ARGS");
    const size_t size = 1 + (args ? std::strlen(args) : 0);
    char *data = static_cast<char *>(std::malloc(size));
    if (!data)
        return false;
    data[0] = args ? 'A' : 'N';
    if (args)
        std::memcpy(data + 1, args, size - 1);
    iovec iov{data, size};
    const int fds[3] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(fds))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(fds));
    std::memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));
    ssize_t sent;
    do
        sent = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    std::free(data);
    return sent == ssize_t(size);
}

// The answer, "exit N" or "signal N", read to the end of the connection (at most size - 1).
void readAnswer(int sock, char *answer, size_t size)
{
    size_t used = 0;
    while (used + 1 < size) {
        const ssize_t n = ::read(sock, answer + used, size - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += size_t(n);
    }
    answer[used] = '\0';
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: kiln-io-attach SOCKET\n");
        return 2;
    }
    const char *name = argv[1];
    const int sock = connectTo(name);
    if (sock < 0)
        return fail("cannot reach the io:// fork server", name);
    if (!sendRequest(sock))
        return fail("cannot hand the object to the io:// fork server", name);
    // The process has its own copies now. Holding ours would keep its stdout open after it ends.
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        ::dup2(null, STDIN_FILENO);
        ::dup2(null, STDOUT_FILENO);
        ::close(null);
    }
    errno = 0;
    char answer[64];
    readAnswer(sock, answer, sizeof(answer));
    int value = 0;
    if (std::sscanf(answer, "exit %d", &value) == 1)
        return value;
    if (std::sscanf(answer, "signal %d", &value) == 1)
        return 128 + value;
    return fail("the io:// fork server went away before the object's process ended", name);
}
