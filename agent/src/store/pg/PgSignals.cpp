#include "PgSignals.hpp"

#include "PgStore.hpp"

#include <Poco/Logger.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <utility>

namespace gp::agent::pg {

namespace {

Poco::Logger& logger() {
    static Poco::Logger& instance = Poco::Logger::get("gp-agent.store.signals");
    return instance;
}

/// The payload words, in enum order.
constexpr std::array<std::pair<StoreSignal, std::string_view>, 4> kSignalWords{{
    {StoreSignal::OutboxChanged, "outbox"},
    {StoreSignal::InboxChanged, "inbox"},
    {StoreSignal::MessageFinished, "finished"},
    {StoreSignal::WorkflowLeadTaken, "lead"},
}};

/// Reconnection waits: 250 ms doubling to 10 s. No jitter needed: each instance has one listener
/// and one lead connection, so a fleet reconnecting at once is a handful of connections.
constexpr int kFirstBackoffMs = 250;
constexpr int kMaxBackoffMs = 10'000;

/// A dead peer (a leader's host powered off, a failed-over server) sends nothing: without
/// keepalives a lock held by a dead connection would stay held, and a listener would wait on a
/// dead socket, for the operating system's default of two hours. Both ends probe after 10 s idle,
/// every 5 s, and give up after 3 unanswered probes.
constexpr int kKeepaliveIdleSeconds = 10;
constexpr int kKeepaliveIntervalSeconds = 5;
constexpr int kKeepaliveCount = 3;

/// `role` names the connection in pg_stat_activity ("gp-agent listener").
void tuneLongLivedConnection(Connection& connection, const std::string& role) {
    const int fd = connection.socket();
    const int on = 1;
    // On a Unix-domain socket these fail (EOPNOTSUPP): there is no peer to lose there.
    if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) == 0) {
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &kKeepaliveIdleSeconds,
                   sizeof kKeepaliveIdleSeconds);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &kKeepaliveIntervalSeconds,
                   sizeof kKeepaliveIntervalSeconds);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &kKeepaliveCount, sizeof kKeepaliveCount);
    }
    try {
        // The server's side of the same, and no idle-session timeout: these connections are idle
        // by design, and the lead's lock must not lapse because nothing was said on it.
        connection.query("SELECT set_config('application_name', $1, false)", Params().text(role));
        connection.exec(
            "SET tcp_keepalives_idle = " + std::to_string(kKeepaliveIdleSeconds) +
            "; SET tcp_keepalives_interval = " + std::to_string(kKeepaliveIntervalSeconds) +
            "; SET tcp_keepalives_count = " + std::to_string(kKeepaliveCount) +
            "; SET idle_session_timeout = 0");
    } catch (const PgError& error) {
        logger().debug("could not tune a long-lived connection: %s", std::string(error.what()));
    }
}

void addOnce(std::vector<StoreSignal>& signals, StoreSignal signal) {
    if (std::find(signals.begin(), signals.end(), signal) == signals.end()) {
        signals.push_back(signal);
    }
}

} // namespace

PgSignals::PgSignals(const std::string& url, bool contendForLead) : m_url(url) {
    m_stopFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_stopFd < 0) {
        throw std::runtime_error("cannot create the store signals' stop descriptor");
    }
    try {
        // Synchronously, so that nothing committed after the store opened goes unheard.
        m_listenConnection = connectListener();
    } catch (...) {
        close(m_stopFd);
        throw;
    }
    m_listenThread = std::thread([this] { listenLoop(); });
    if (contendForLead) {
        m_leadThread = std::thread([this] { leadLoop(); });
    } else {
        m_leadExited = true; // nothing for the destructor to cancel
    }
}

PgSignals::~PgSignals() {
    m_stopping.store(true);
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = write(m_stopFd, &one, sizeof one);
    {
        // The lead thread may be blocked in pg_advisory_lock, which only a cancel request ends.
        // A cancel that reaches the server before the statement starts cancels nothing, so it is
        // repeated until the thread has gone.
        std::unique_lock lock(m_leadMutex);
        while (!m_leadExited) {
            if (m_leadCanceller) {
                m_leadCanceller->cancel();
            }
            m_leadExitedChanged.wait_for(lock, std::chrono::milliseconds(100));
        }
    }
    if (m_leadThread.joinable()) {
        m_leadThread.join();
    }
    m_listenThread.join();
    close(m_stopFd);
}

std::string PgSignals::payloadOf(const std::vector<StoreSignal>& signals) {
    std::string payload;
    for (const auto& [signal, word] : kSignalWords) {
        if (std::find(signals.begin(), signals.end(), signal) != signals.end()) {
            if (!payload.empty()) {
                payload += ',';
            }
            payload += word;
        }
    }
    return payload;
}

std::vector<StoreSignal> PgSignals::signalsOf(std::string_view payload) {
    std::vector<StoreSignal> signals;
    while (!payload.empty()) {
        const auto comma = payload.find(',');
        const std::string_view word = payload.substr(0, comma);
        for (const auto& [signal, known] : kSignalWords) {
            if (word == known) {
                addOnce(signals, signal);
            }
        }
        payload = comma == std::string_view::npos ? std::string_view{} : payload.substr(comma + 1);
    }
    return signals;
}

void PgSignals::notifyInTransaction(Connection& writer,
                                    const std::vector<StoreSignal>& signals) const {
    if (signals.empty()) {
        return;
    }
    writer.query("SELECT pg_notify($1, $2)", Params().text(m_channel).text(payloadOf(signals)));
}

void PgSignals::setListener(StoreSignalListener listener) {
    std::lock_guard lock(m_listenerMutex);
    m_listener = std::move(listener);
    if (m_listener && m_leads.load()) {
        m_listener(StoreSignal::WorkflowLeadTaken);
    }
}

std::unique_ptr<Connection> PgSignals::connectListener() {
    auto connection = std::make_unique<Connection>(m_url);
    tuneLongLivedConnection(*connection, "gp-agent listener");
    // md5 keeps the name short (channels are identifiers: at most 63 bytes) and free of
    // characters that would need quoting, whatever the schema is called.
    const Rows rows =
        connection->query("SELECT 'gp_agent_' || md5(coalesce(current_schema(), ''))");
    const std::string channel = rows.text(0, 0);
    if (m_channel.empty()) {
        m_channel = channel;
    } else if (channel != m_channel) {
        // The URL did not change, so neither can the schema, unless the role's search_path was
        // altered under us: keep hearing the channel this store's writer notifies on.
        logger().warning("the current schema changed; keeping the store's channel");
    }
    connection->exec("LISTEN " + m_channel);
    return connection;
}

bool PgSignals::waitReadable(int fd, int timeoutMs) const {
    std::array<pollfd, 2> watched{{{fd, POLLIN, 0}, {m_stopFd, POLLIN, 0}}};
    const nfds_t count = fd >= 0 ? 2 : 1;
    pollfd* first = fd >= 0 ? &watched[0] : &watched[1];
    while (!m_stopping.load()) {
        const int ready = poll(first, count, timeoutMs);
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (m_stopping.load()) {
            return false;
        }
        // A timeout (0) or an error also returns true: the caller's next read finds out.
        return fd >= 0 || ready == 0;
    }
    return false;
}

bool PgSignals::backoff(int attempt) const {
    const int shift = std::min(attempt - 1, 10);
    const int delayMs = std::min(kMaxBackoffMs, kFirstBackoffMs << shift);
    return waitReadable(-1, delayMs);
}

void PgSignals::raise(const std::vector<StoreSignal>& signals) {
    std::lock_guard lock(m_listenerMutex);
    if (!m_listener) {
        return;
    }
    for (const StoreSignal signal : signals) {
        try {
            m_listener(signal);
        } catch (const std::exception& error) {
            logger().error("a store signal's listener failed: %s", std::string(error.what()));
        }
    }
}

void PgSignals::listenLoop() {
    std::unique_ptr<Connection> connection = std::move(m_listenConnection);
    int attempt = 0;
    while (!m_stopping.load()) {
        if (!connection) {
            try {
                connection = connectListener();
            } catch (const PgError& error) {
                logger().warning("cannot reconnect the store's listener (attempt %d): %s",
                                 attempt + 1, std::string(error.what()));
                if (!backoff(++attempt)) {
                    return;
                }
                continue;
            }
            attempt = 0;
            logger().information("store listener reconnected; waking the dispatcher and workflows");
            // Whatever was notified while disconnected is lost: look again at everything.
            raise({StoreSignal::OutboxChanged, StoreSignal::InboxChanged,
                   StoreSignal::MessageFinished});
        }
        std::vector<StoreSignal> signals;
        try {
            if (connection->socket() < 0) {
                throw PgError("", "the connection has no socket", true);
            }
            if (!waitReadable(connection->socket(), -1)) {
                return;
            }
            for (const auto& notification : connection->takeNotifications()) {
                // Our own writer's: this instance already woke whatever it concerns.
                if (notification.channel != m_channel ||
                    notification.senderPid == m_writerPid.load()) {
                    continue;
                }
                for (const StoreSignal signal : signalsOf(notification.payload)) {
                    addOnce(signals, signal);
                }
            }
        } catch (const PgError& error) {
            logger().warning("store listener's connection lost: %s", std::string(error.what()));
            connection.reset();
            if (!backoff(++attempt)) {
                return;
            }
            continue;
        }
        raise(signals);
    }
}

void PgSignals::leadLoop() {
    int attempt = 0;
    auto forgetCanceller = [this] {
        std::lock_guard lock(m_leadMutex);
        m_leadCanceller.reset();
    };
    while (!m_stopping.load()) {
        std::unique_ptr<Connection> connection;
        try {
            connection = std::make_unique<Connection>(m_url);
            tuneLongLivedConnection(*connection, "gp-agent workflow lead");
            {
                std::lock_guard lock(m_leadMutex);
                if (m_stopping.load()) {
                    break;
                }
                m_leadCanceller = connection->canceller();
            }
            // Blocks, on the server, until no other instance holds the lock.
            connection->query("SELECT pg_advisory_lock($1, hashtext(current_schema()))",
                              Params().integer(kWorkflowLockClass));
        } catch (const PgError& error) {
            forgetCanceller();
            if (m_stopping.load()) {
                break;
            }
            logger().warning("cannot contend for the workflow lead (attempt %d): %s", attempt + 1,
                             std::string(error.what()));
            if (!backoff(++attempt)) {
                break;
            }
            continue;
        }
        attempt = 0;
        m_leads.store(true);
        logger().information("this instance now leads the workflows");
        raise({StoreSignal::WorkflowLeadTaken});

        // Hold the lock by holding the connection; anything readable on it is either noise
        // (a notice) or the end of it.
        bool lost = connection->socket() < 0;
        while (!lost && waitReadable(connection->socket(), -1)) {
            try {
                connection->takeNotifications();
            } catch (const PgError& error) {
                logger().warning("lost the workflow lead's connection: %s",
                                 std::string(error.what()));
                lost = true;
            }
        }
        m_leads.store(false);
        forgetCanceller();
        if (lost) {
            logger().warning("this instance no longer leads the workflows; contending again");
        }
    }
    m_leads.store(false);
    std::lock_guard lock(m_leadMutex);
    m_leadExited = true;
    m_leadExitedChanged.notify_all();
}

// ---- PgStore's side (declared in PgStore.hpp) ----

void PgStore::setSignalListener(StoreSignalListener listener) {
    m_signals->setListener(std::move(listener));
}

bool PgStore::leadsWorkflows() {
    return m_signals->leads();
}

} // namespace gp::agent::pg
