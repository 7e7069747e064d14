#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace gp::mock {

/// How the core waits for injected delays and hangs. Production waits on a condition that
/// shutdown interrupts; tests record the wait and return at once.
class Waiter {
public:
    virtual ~Waiter() = default;
    /// Returns false when the wait was cut short because the mock is shutting down.
    virtual bool waitFor(std::chrono::milliseconds duration) = 0;
};

class ShutdownWaiter final : public Waiter {
public:
    bool waitFor(std::chrono::milliseconds duration) override {
        std::unique_lock lock(m_mutex);
        return !m_condition.wait_for(lock, duration, [this] { return m_shutdown; });
    }

    /// Wakes every waiter and makes later waits return at once.
    void requestShutdown() {
        {
            std::lock_guard lock(m_mutex);
            m_shutdown = true;
        }
        m_condition.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_condition;
    bool m_shutdown = false;
};

} // namespace gp::mock
