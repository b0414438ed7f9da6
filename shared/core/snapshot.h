#pragma once

#include <memory>
#include <mutex>
#include <utility>

namespace Kiln {

// An immutable copy of state that one thread changes and others read: the owner publishes a
// new value after every change, readers take the current one and keep it as long as they need
// it, unaffected by later changes. The lock is held only to copy a shared_ptr, never while a
// value is built or read.
template<typename T>
class Snapshot
{
public:
    Snapshot()
        : m_current(std::make_shared<const T>())
    {
    }

    void publish(T value)
    {
        auto next = std::make_shared<const T>(std::move(value));
        const std::lock_guard lock(m_mutex);
        m_current.swap(next);
    }

    std::shared_ptr<const T> get() const
    {
        const std::lock_guard lock(m_mutex);
        return m_current;
    }

private:
    mutable std::mutex m_mutex;
    std::shared_ptr<const T> m_current;
};

} // namespace Kiln
