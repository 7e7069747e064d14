#pragma once

#include <gp/mock/Clock.hpp>
#include <gp/mock/FaultPlan.hpp>
#include <gp/mock/MockConfig.hpp>
#include <gp/mock/MockStore.hpp>

#include <Poco/Logger.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace gp::mock {

class ForwardClient;

/// Delivers accepted forward-reliable messages to their recipient practices, as Spine does:
/// the same bytes, Content-Type and SOAPAction, retried with capped doubling
/// (mock.forwardRetryDelay, mock.forwardMaxDelay) until the practice answers 2xx, refuses the
/// message for good, or the interaction's persist duration has passed. The queue lives in the
/// store, so a restarted mock carries on where it stopped. Within one conversation and
/// recipient, a message waits until the ones accepted before it have finished.
class Forwarder {
public:
    Forwarder(const MockConfig& config, MockStore& store, FaultPlan& faults, const Clock& clock);
    ~Forwarder();
    Forwarder(const Forwarder&) = delete;
    Forwarder& operator=(const Forwarder&) = delete;

    /// Starts the worker thread; it sleeps on a condition until work is due or wake() is called.
    void start();
    /// Aborts a delivery in progress and joins the thread. Pending messages stay queued.
    void stop();
    /// New work was accepted, or (in tests) the clock moved.
    void wake();

    /// One pass over the queue without the thread: expires what is past its persist duration
    /// and makes one attempt at every message that is due. Returns the number of attempts.
    int runDue();

    /// When the next message falls due after the last pass, if any is pending.
    std::optional<TimePoint> nextDue() const;

    /// For tests of the thread: waits until `count` attempts (or expiries) have been recorded
    /// since construction. False after `timeout`.
    bool waitForOutcomes(std::uint64_t count, std::chrono::milliseconds timeout) const;

private:
    void run();
    void expire(const ForwardRecord& record);
    /// Makes one attempt; returns the record's state afterwards ("pending" or an end state) and,
    /// while pending, when it is due again.
    ForwardProgress attempt(const ForwardRecord& record);
    std::chrono::milliseconds backoff(int attempts) const;
    void save(const ForwardRecord& record, const ForwardProgress& progress,
              const std::vector<JournalEntry>& entries);

    const MockConfig& m_config;
    MockStore& m_store;
    FaultPlan& m_faults;
    const Clock& m_clock;
    Poco::Logger& m_log;
    std::atomic<bool> m_stopping{false};
    std::unique_ptr<ForwardClient> m_client;

    mutable std::mutex m_mutex;
    std::condition_variable m_condition;
    mutable std::condition_variable m_recorded;
    std::uint64_t m_outcomes = 0;
    bool m_woken = false;
    std::optional<TimePoint> m_nextDue;
    std::thread m_thread;
};

} // namespace gp::mock
