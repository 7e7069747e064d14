#pragma once

#include "PgConnection.hpp"

#include <gp/agent/store/Store.hpp>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gp::agent::pg {

/// How the gp-agent instances sharing one PostgreSQL schema tell each other what changed, and
/// which of them runs the workflows. Owned by PgStore; two threads, each on a connection of its
/// own:
///
/// - The listener LISTENs on the schema's channel and sleeps in poll() until a notification (or
///   the stop descriptor) wakes it; each notification becomes StoreSignals for the listener set
///   with setListener. Notifications sent by this store's own writer are dropped: whatever this
///   instance wrote, it already woke its own dispatcher and workflows for. When the connection
///   drops it reconnects with backoff and then raises OutboxChanged, InboxChanged and
///   MessageFinished once, since a notification may have been missed meanwhile.
/// - The lead thread waits in `SELECT pg_advisory_lock(kWorkflowLockClass, hashtext(schema))`.
///   When the lock is granted this instance leads the workflows (leads() true, WorkflowLeadTaken
///   raised), and keeps the connection, so the lock, until the store closes. If that connection
///   drops it stops leading at once and contends again.
///
/// The wire format, for the writer (PgStore::signalOnCommit): inside the batch's transaction,
/// `SELECT pg_notify($1, $2)` with $1 = channel() and $2 = payloadOf(signals), i.e. the signals'
/// names joined by commas ("outbox,finished"). PostgreSQL delivers it only if the transaction
/// commits. notifyInTransaction() does exactly that.
class PgSignals {
public:
    /// The first key of the workflow lead's advisory lock (two-key form: it cannot collide with
    /// single-key bigint locks such as the instance lock); the second is
    /// hashtext(current_schema()).
    static constexpr int kWorkflowLockClass = 0x67704c44; // "gpLD"

    /// Connects the listener (throws PgError when the server cannot be reached), learns the
    /// channel from current_schema(), LISTENs, and starts both threads.
    /// `contendForLead` false (a tool's store): no lead thread; leads() stays false.
    PgSignals(const std::string& url, bool contendForLead);
    /// Stops both threads (a blocked lock wait is cancelled) and closes their connections, which
    /// gives the workflow lead to another instance.
    ~PgSignals();
    PgSignals(const PgSignals&) = delete;
    PgSignals& operator=(const PgSignals&) = delete;

    /// The channel of this schema: "gp_agent_" + md5(current_schema()) (a legal, bounded channel
    /// name whatever the schema is called; one per schema, so stores in other schemas of the same
    /// database do not hear each other).
    const std::string& channel() const { return m_channel; }
    /// "outbox", "inbox", "finished", "lead" joined by commas, each once, in enum order.
    static std::string payloadOf(const std::vector<StoreSignal>& signals);
    /// Reads a payload back; unknown words are skipped (a newer instance may send more).
    static std::vector<StoreSignal> signalsOf(std::string_view payload);
    /// Queues the notification of `signals` in `writer`'s open transaction (nothing when empty).
    void notifyInTransaction(Connection& writer, const std::vector<StoreSignal>& signals) const;

    /// The backend pid of the store's write connection, whose notifications are this instance's
    /// own (call again whenever the writer reconnects).
    void setWriterPid(int pid) { m_writerPid.store(pid); }

    /// Receives signals on the listener's or the lead's thread, one call at a time. Setting a new
    /// listener (or an empty one, to detach before what it calls is torn down) waits for a call
    /// in progress to return. If this instance already leads, the new listener is told
    /// WorkflowLeadTaken at once, so a lead taken before it was set is not missed.
    void setListener(StoreSignalListener listener);
    bool leads() const { return m_leads.load(); }

private:
    void listenLoop();
    void leadLoop();
    /// Waits until `fd` is readable or stop is requested; false on stop. `timeoutMs` < 0: no limit.
    bool waitReadable(int fd, int timeoutMs) const;
    /// Sleeps for a reconnection backoff, false when stop was requested meanwhile.
    bool backoff(int attempt) const;
    void raise(const std::vector<StoreSignal>& signals);
    std::unique_ptr<Connection> connectListener(); // LISTENs before returning

    const std::string m_url;
    std::string m_channel;
    std::atomic<int> m_writerPid{0};
    std::atomic<bool> m_leads{false};
    std::atomic<bool> m_stopping{false};
    int m_stopFd = -1; // an eventfd, readable once stop is requested

    std::mutex m_listenerMutex; // held while the listener runs
    StoreSignalListener m_listener;

    std::mutex m_leadMutex; // guards m_leadCanceller and m_leadExited
    std::condition_variable m_leadExitedChanged;
    std::unique_ptr<Connection::Canceller> m_leadCanceller; // cancels the lead's lock wait
    bool m_leadExited = false;

    std::unique_ptr<Connection> m_listenConnection; // owned by the listener thread once started
    std::thread m_listenThread;
    std::thread m_leadThread;
};

} // namespace gp::agent::pg
