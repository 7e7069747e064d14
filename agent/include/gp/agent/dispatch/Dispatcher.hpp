#pragma once

#include <gp/agent/Clock.hpp>
#include <gp/agent/dispatch/OutcomeClassifier.hpp>
#include <gp/agent/dispatch/RetryPolicy.hpp>
#include <gp/agent/store/Store.hpp>
#include <gp/agent/transport/HttpTransport.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace gp::agent {

struct DispatcherSettings {
    /// Sender threads: how many messages are being sent, or having their outcome recorded, at
    /// once. The store commits concurrent outcomes together (group commit), so more senders
    /// mean fuller commits, not more fsyncs.
    int threads = 32;
    int claimBatch = 16; // the most messages one claim (one store transaction) takes
    Milliseconds lease{120000};
    std::string instanceId; // lease owner
    /// When Spine defers its reply (202 + Content-Location): the first poll comes this long after
    /// the message was accepted, each further one this long after the previous 202. The
    /// message's expiry bounds them.
    Milliseconds firstPollDelay{500};
    Milliseconds pollInterval{5000};
    /// The most requests on their way to one endpoint (scheme, host and port) at once, which is
    /// also the most kept-alive connections the dispatcher holds to it.
    int connectionsPerEndpoint = 8;
};

/// Claims due messages from the store, sends them and records each outcome.
///
/// A fixed set of sender threads shares one queue of claimed messages. A sender with nothing to
/// do claims, in one store transaction, as many due messages as there are senders free for them
/// (one claim at a time); each sender then takes one message, borrows a transport (a kept-alive
/// connection) for the message's endpoint, sends, gives the transport back at once and records
/// the outcome while the connection serves someone else. Outcomes are recorded by many senders
/// concurrently, so the store's group commit can put them in one fsync. Senders sleep on a
/// condition variable until the earliest due time or until notify() says new work arrived: no
/// polling while idle.
class Dispatcher {
public:
    /// Makes one transport; called as senders need them, never more than `threads` in all. Each
    /// transport keeps its connections alive between the messages it carries.
    using TransportFactory = std::function<std::unique_ptr<HttpTransport>()>;
    /// Makes one transport that sends as the practice with this ODS code (its own client
    /// certificate), for the practices given to setPracticeTransports.
    using PracticeTransportFactory =
        std::function<std::unique_ptr<HttpTransport>(const std::string& odsCode)>;

    Dispatcher(Store& store, const Clock& clock, messaging::ids::RandomSource& random,
               RetryPolicy policy, TransportFactory transports, DispatcherSettings settings);
    ~Dispatcher();
    Dispatcher(const Dispatcher&) = delete;
    Dispatcher& operator=(const Dispatcher&) = delete;

    void start();
    /// Wakes and joins the senders. A message being sent finishes its attempt and has its
    /// outcome recorded; messages already claimed are sent too (at most one per sender).
    void stop();

    /// New work is due now (called after the API commits a message).
    void notify();

    /// Called (on a sender thread) after a message reached acked, failed or expired, once that
    /// is recorded, so a workflow waiting on it (GP2GP) can move on. The record is the one
    /// claimed, with `state` set to the final state; the store has the rest. Set before start().
    using FinishedListener = std::function<void(const MessageRecord&)>;
    void setFinishedListener(FinishedListener listener);

    /// Messages of the practices in `odsCodes` (MessageRecord::practice) go out only on
    /// transports `factory` makes for that practice; every other message on the transports of
    /// the main factory. Made as needed, kept alive per practice and endpoint; all transports
    /// together stay within the number of senders, an idle one of another practice giving way.
    /// Set before start().
    void setPracticeTransports(const std::vector<std::string>& odsCodes,
                               PracticeTransportFactory factory);

    /// One pass for tests and tools: claim what is due, send each in turn on `transport`, record.
    /// Returns how many were sent.
    int runOnce(HttpTransport& transport);

private:
    /// A claimed message waiting for a sender, with the endpoint it counts against.
    struct Queued {
        ClaimedMessage message;
        std::string endpoint;
    };
    /// What an attempt changed that the senders' sleep depends on.
    enum class Handled { NotSent, Ended, Rescheduled };

    void senderMain();
    // These with m_mutex held.
    bool claimWanted() const;
    void claim(std::unique_lock<std::mutex>& lock); // unlocks while it asks the store
    void waitForWork(std::unique_lock<std::mutex>& lock);
    std::deque<Queued>::iterator findSendable(); // first whose endpoint is below its cap
    std::optional<Queued> takeSendable();
    /// Whose transports carry `record`: its practice's upper-cased ODS code when that practice
    /// sends under a certificate of its own, "" (the agent's transports) otherwise.
    std::string senderIdentityOf(const MessageRecord& record) const;
    std::unique_ptr<HttpTransport> borrowTransport(const std::string& identity,
                                                   const std::string& endpoint);
    void returnTransport(const std::string& identity, const std::string& endpoint,
                         std::unique_ptr<HttpTransport> transport);
    void sendQueued(Queued queued);

    void announceFinished(const MessageRecord& record, MessageState state);
    template <typename Send>
    Handled handle(ClaimedMessage& message, Send&& send);
    Handled recordRetriable(const ClaimedMessage& message, const Outcome& outcome,
                            const std::optional<StoredReply>& reply);
    Handled recordDeferred(const ClaimedMessage& message, const Outcome& outcome,
                           const HttpRequest& request);

    Store& m_store;
    const Clock& m_clock;
    messaging::ids::RandomSource& m_random;
    std::mutex m_randomMutex;
    RetryPolicy m_policy;
    TransportFactory m_transports;
    PracticeTransportFactory m_practiceTransports;
    std::set<std::string, std::less<>> m_practicesWithOwnTransport; // upper-cased ODS codes
    DispatcherSettings m_settings;

    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
    std::vector<std::thread> m_threads;
    std::shared_ptr<const FinishedListener> m_finished;

    // The shared queue and what the senders are doing; all under m_mutex.
    std::deque<Queued> m_queued;
    std::map<std::string, int, std::less<>> m_sendingTo; // endpoint -> requests on their way
    int m_senders = 0;                                   // started
    int m_busy = 0; // holding a message (sending it or recording its outcome)
    bool m_claiming = false;
    /// The store may hold due work: set by notify(), by a claim that got all it asked for, by an
    /// outcome that scheduled a next attempt, and when m_wakeAt passes; cleared by a claim.
    bool m_mayHaveWork = true;
    std::uint64_t m_generation = 0; // bumped by notify(), so a claim knows it may have missed work
    std::optional<std::chrono::steady_clock::time_point> m_wakeAt; // the store's next due time
    bool m_timekeeper = false; // a sender waits for m_wakeAt (the others wait without a deadline)
    std::chrono::steady_clock::time_point m_timekeeperDeadline;

    // Idle transports by whom they send as (senderIdentityOf) and the endpoint they last talked
    // to (the one they hold a connection to). A transport never changes identity.
    using IdleByEndpoint =
        std::map<std::string, std::vector<std::unique_ptr<HttpTransport>>, std::less<>>;
    std::map<std::string, IdleByEndpoint, std::less<>> m_idle;
    int m_transportCount = 0; // made by the factories and not yet destroyed, idle or lent
};

} // namespace gp::agent
