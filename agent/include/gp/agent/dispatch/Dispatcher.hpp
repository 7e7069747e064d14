#pragma once

#include <gp/agent/Clock.hpp>
#include <gp/agent/dispatch/OutcomeClassifier.hpp>
#include <gp/agent/dispatch/RetryPolicy.hpp>
#include <gp/agent/store/Store.hpp>
#include <gp/agent/transport/HttpTransport.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace gp::agent {

struct DispatcherSettings {
    int threads = 2;
    int claimBatch = 16;
    Milliseconds lease{120000};
    std::string instanceId; // lease owner
    /// When Spine defers its reply (202 + Content-Location): the first poll comes this long after
    /// the message was accepted, each further one this long after the previous 202. The
    /// message's expiry bounds them.
    Milliseconds firstPollDelay{500};
    Milliseconds pollInterval{5000};
};

/// Claims due messages from the store, sends each with its own transport, classifies the
/// outcome and records it. Threads sleep on a condition variable until the earliest due time or
/// until notify() says new work arrived: no polling while idle.
class Dispatcher {
public:
    using TransportFactory = std::function<std::unique_ptr<HttpTransport>()>;

    Dispatcher(Store& store, const Clock& clock, messaging::ids::RandomSource& random,
               RetryPolicy policy, TransportFactory transports, DispatcherSettings settings);
    ~Dispatcher();
    Dispatcher(const Dispatcher&) = delete;
    Dispatcher& operator=(const Dispatcher&) = delete;

    void start();
    void stop(); // wakes and joins the threads; a message mid-send finishes its attempt first

    /// New work is due now (called after the API commits a message).
    void notify();

    /// Called (on a dispatcher thread) after a message reached acked, failed or expired, so a
    /// workflow waiting on it (GP2GP) can move on. Set before start().
    using FinishedListener = std::function<void(const MessageRecord&)>;
    void setFinishedListener(FinishedListener listener);

    /// One pass for tests and tools: claim what is due, send, record. Returns how many were sent.
    int runOnce(HttpTransport& transport);

private:
    struct Pass {
        int claimed = 0;
        int sent = 0;
    };

    void threadMain();
    void announceFinished(const MessageRecord& record);
    std::optional<Pass> claimAndSend(HttpTransport& transport); // nothing: the store failed
    bool handle(HttpTransport& transport, const ClaimedMessage& message); // true: it was sent
    void recordRetriable(const ClaimedMessage& message, const Outcome& outcome,
                         const std::optional<StoredReply>& reply);
    void recordDeferred(const ClaimedMessage& message, const Outcome& outcome,
                        const HttpRequest& request);

    Store& m_store;
    const Clock& m_clock;
    messaging::ids::RandomSource& m_random;
    std::mutex m_randomMutex;
    RetryPolicy m_policy;
    TransportFactory m_transports;
    DispatcherSettings m_settings;

    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
    std::uint64_t m_generation = 0; // bumped by notify()
    std::vector<std::thread> m_threads;
    FinishedListener m_finished;
};

} // namespace gp::agent
