#pragma once

#include <atomic>

namespace Kiln::Target {

// Lets object commits through until the target closes it for good (a target that is leaving the
// cluster, before its last rebalance pass): a commit that passed the gate is counted until it
// is done, so once closed() and idle() hold, no object can appear on this target's disks any
// more and one last pass sends everything. Safe from any thread.
class WriteGate final
{
public:
    // One commit's pass through the gate; falsy when the gate is closed.
    class Pass final
    {
    public:
        explicit Pass(WriteGate *gate)
            : m_gate(gate)
        {
        }
        Pass(Pass &&other) noexcept
            : m_gate(other.m_gate)
        {
            other.m_gate = nullptr;
        }
        Pass(const Pass &) = delete;
        Pass &operator=(const Pass &) = delete;
        Pass &operator=(Pass &&) = delete;
        ~Pass()
        {
            if (m_gate)
                m_gate->m_inside.fetch_sub(1);
        }
        explicit operator bool() const { return m_gate != nullptr; }

    private:
        WriteGate *m_gate;
    };

    Pass enter()
    {
        // Counted first, then checked: close() then idle() cannot miss a commit that got in.
        m_inside.fetch_add(1);
        if (m_closed.load()) {
            m_inside.fetch_sub(1);
            return Pass(nullptr);
        }
        return Pass(this);
    }
    void close() { m_closed.store(true); }
    bool closed() const { return m_closed.load(); }
    // No commit is between enter() and the end of its pass.
    bool idle() const { return m_inside.load() == 0; }

private:
    std::atomic<bool> m_closed{false};
    std::atomic<int> m_inside{0};
};

} // namespace Kiln::Target
