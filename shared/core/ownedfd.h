#pragma once

#include <QFile>
#include <QString>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace Kiln {

// A file descriptor this object closes: move-only, -1 when it holds none.
class OwnedFd
{
public:
    OwnedFd() = default;
    explicit OwnedFd(int fd)
        : m_fd(fd)
    { }
    OwnedFd(OwnedFd &&other) noexcept
        : m_fd(std::exchange(other.m_fd, -1))
    { }
    OwnedFd &operator=(OwnedFd &&other) noexcept
    {
        if (this != &other) {
            reset();
            m_fd = std::exchange(other.m_fd, -1);
        }
        return *this;
    }
    OwnedFd(const OwnedFd &) = delete;
    OwnedFd &operator=(const OwnedFd &) = delete;
    ~OwnedFd() { reset(); }

    // The file at path (encoded for the filesystem), opened read-only; invalid (errno set) when
    // it cannot be.
    static OwnedFd openReadOnly(const char *path)
    {
        return OwnedFd(::open(path, O_RDONLY | O_CLOEXEC));
    }
    static OwnedFd openReadOnly(const QString &path)
    {
        return openReadOnly(QFile::encodeName(path).constData());
    }

    int get() const { return m_fd; }
    // The size of the open file, -1 when fstat fails.
    off_t size() const
    {
        struct stat st
        { };
        return m_fd >= 0 && ::fstat(m_fd, &st) == 0 ? st.st_size : -1;
    }
    bool valid() const { return m_fd >= 0; }
    void reset()
    {
        if (m_fd >= 0)
            ::close(std::exchange(m_fd, -1));
    }

private:
    int m_fd = -1;
};

} // namespace Kiln
