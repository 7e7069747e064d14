#include "LoadGenerator.hpp"

#include "HttpWire.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace gp::bench {

namespace {

struct Connection {
    int fd = -1;
    const LoadTarget* target = nullptr;
    std::string request; // this connection's copy of the template, patched per request
    std::size_t written = 0;
    std::string inbox;
    bool busy = false;
    bool wantsWrite = false;
    double dueMs = 0;
    std::uint64_t sent = 0;
    double firstReplyMs = -1;
};

/// One run of a plan: the state the event loop works on.
class Run {
public:
    Run(const std::vector<LoadTarget>& targets, const LoadPlan& plan, SteadyClock::time_point start,
        std::atomic<std::uint64_t>& accepted)
        : m_plan(plan), m_start(start), m_acceptedCount(accepted),
          m_epoll(::epoll_create1(EPOLL_CLOEXEC)),
          m_connections(static_cast<std::size_t>(std::max(1, plan.connections))) {
        if (m_epoll < 0) {
            throw std::runtime_error("epoll_create1 failed");
        }
        m_endMs = plan.durationSeconds > 0 ? plan.durationSeconds * 1000.0
                                           : std::numeric_limits<double>::infinity();
        const double expected = plan.ratePerSecond > 0 && plan.durationSeconds > 0
                                    ? plan.ratePerSecond * plan.durationSeconds
                                    : static_cast<double>(plan.maxRequests);
        m_result.accepted.reserve(static_cast<std::size_t>(std::max(expected, 65536.0)));
        m_idle.reserve(m_connections.size());
        for (std::size_t i = 0; i < m_connections.size(); ++i) {
            auto& connection = m_connections[i];
            connection.target = &targets[i % targets.size()];
            connection.request = connection.target->stream->requestTemplate();
            connection.inbox.reserve(16384);
            open(i);
            m_idle.push_back(i);
        }
    }

    ~Run() {
        for (auto& connection : m_connections) {
            if (connection.fd >= 0) {
                ::close(connection.fd);
            }
        }
        ::close(m_epoll);
    }

    LoadResult execute() {
        std::vector<epoll_event> events(m_connections.size());
        while (true) {
            const double now = nowMs();
            if (!m_stopping && (now >= m_endMs || budgetSpent())) {
                stop(now);
            }
            if (!m_stopping) {
                issueDue(now);
            }
            if (m_stopping && m_busy == 0) {
                break;
            }
            if (m_stopping && now > m_stoppedMs + m_plan.drainSeconds * 1000.0) {
                m_result.lostRequests = m_busy;
                break;
            }
            const int ready =
                ::epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()), waitMs(now));
            if (ready < 0 && errno != EINTR) {
                throw std::runtime_error("epoll_wait failed");
            }
            for (int e = 0; e < ready; ++e) {
                const auto& event = events[static_cast<std::size_t>(e)];
                if (event.events & EPOLLOUT) {
                    flush(event.data.u32);
                }
                if (event.events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                    receive(event.data.u32);
                }
            }
        }
        m_result.loadSeconds = m_lastReplyMs / 1000.0;
        for (const auto& connection : m_connections) {
            if (connection.sent > 0 &&
                (connection.firstReplyMs < 0 || connection.firstReplyMs > m_stoppedMs)) {
                ++m_result.connectionsNeverServed;
            }
        }
        return std::move(m_result);
    }

private:
    double nowMs() const {
        return std::chrono::duration<double, std::milli>(SteadyClock::now() - m_start).count();
    }

    bool openLoop() const { return m_plan.ratePerSecond > 0; }
    bool budgetSpent() const { return m_plan.maxRequests > 0 && m_next >= m_plan.maxRequests; }
    double dueMs(std::uint64_t index) const {
        return static_cast<double>(index) * 1000.0 / m_plan.ratePerSecond;
    }

    int waitMs(double now) const {
        double until = m_stopping ? m_stoppedMs + m_plan.drainSeconds * 1000.0 : m_endMs;
        if (!m_stopping && openLoop() && !m_idle.empty()) {
            until = std::min(until, dueMs(m_next));
        }
        const double wait = std::ceil(until - now);
        return static_cast<int>(std::clamp(wait, 0.0, 100.0));
    }

    void open(std::size_t index) {
        auto& connection = m_connections[index];
        connection.fd = connectLoopback(connection.target->port, true);
        connection.inbox.clear();
        connection.wantsWrite = false;
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u32 = static_cast<std::uint32_t>(index);
        ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, connection.fd, &event);
    }

    void closeConnection(std::size_t index) {
        auto& connection = m_connections[index];
        if (connection.fd >= 0) {
            ::close(connection.fd); // also leaves the epoll set
            connection.fd = -1;
        }
    }

    void issueDue(double now) {
        // Closed loop: fill every idle connection. Open loop: what is due, while any is idle.
        while (!m_idle.empty() && !budgetSpent()) {
            double due = now;
            if (openLoop()) {
                due = dueMs(m_next);
                if (due > now || due >= m_endMs) {
                    return;
                }
                m_result.worstLagMs = std::max(m_result.worstLagMs, now - due);
            }
            const std::size_t index = m_idle.back();
            m_idle.pop_back();
            send(index, due);
        }
    }

    void send(std::size_t index, double due) {
        auto& connection = m_connections[index];
        connection.target->stream->prepare(connection.request, m_next++);
        connection.written = 0;
        connection.busy = true;
        connection.dueMs = due;
        ++connection.sent;
        ++m_busy;
        ++m_result.sent;
        flush(index);
    }

    void flush(std::size_t index) {
        auto& connection = m_connections[index];
        while (connection.busy && connection.written < connection.request.size()) {
            const ssize_t n = ::send(connection.fd, connection.request.data() + connection.written,
                                     connection.request.size() - connection.written, MSG_NOSIGNAL);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                watchWrites(index, true);
                return;
            }
            if (n <= 0) {
                fail(index);
                return;
            }
            connection.written += static_cast<std::size_t>(n);
        }
        watchWrites(index, false);
    }

    void watchWrites(std::size_t index, bool on) {
        auto& connection = m_connections[index];
        if (connection.fd < 0 || connection.wantsWrite == on) {
            return;
        }
        epoll_event event{};
        event.events = EPOLLIN | (on ? EPOLLOUT : 0u);
        event.data.u32 = static_cast<std::uint32_t>(index);
        ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, connection.fd, &event);
        connection.wantsWrite = on;
    }

    void receive(std::size_t index) {
        auto& connection = m_connections[index];
        char chunk[65536];
        bool closed = false;
        while (connection.fd >= 0) {
            const ssize_t n = ::recv(connection.fd, chunk, sizeof chunk, 0);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            }
            if (n <= 0) {
                closed = true;
                break;
            }
            connection.inbox.append(chunk, static_cast<std::size_t>(n));
        }
        const auto frame = frameReply(connection.inbox);
        if (!frame || !connection.busy) {
            if (closed) {
                fail(index);
            }
            return;
        }
        const double now = nowMs();
        record(*frame, connection, now);
        connection.inbox.clear();
        connection.busy = false;
        --m_busy;
        m_lastReplyMs = now;
        if (connection.firstReplyMs < 0) {
            connection.firstReplyMs = now;
        }
        if (frame->closes || closed) {
            closeConnection(index);
            if (!m_stopping) {
                open(index);
            }
        }
        becomeIdle(index, now);
    }

    void record(const ReplyFrame& frame, const Connection& connection, double now) {
        const std::string_view buffer = connection.inbox;
        if (frame.status != 202) {
            if (m_result.firstRefusal.empty()) {
                m_result.firstRefusal = std::string(frame.body(buffer).substr(0, 300));
            }
            ++m_result.refusedByStatus[frame.status];
            return;
        }
        AcceptedMessage message{};
        const std::string_view id =
            connection.target->stream->acceptedId(frame.head(buffer), frame.body(buffer));
        std::copy_n(id.data(), std::min(id.size(), message.id.size()), message.id.begin());
        message.dueAtMs = static_cast<float>(connection.dueMs);
        message.acceptedMs = static_cast<float>(now - connection.dueMs);
        m_result.accepted.push_back(message);
        m_acceptedCount.fetch_add(1, std::memory_order_relaxed);
    }

    void becomeIdle(std::size_t index, double now) {
        if (m_stopping) {
            // Closing at once frees the server thread this connection held, so a connection
            // still queued behind it (more clients than threads) gets its reply.
            closeConnection(index);
            return;
        }
        m_idle.push_back(index);
        if (!openLoop()) {
            issueDue(now);
        }
    }

    void fail(std::size_t index) {
        // The request in flight, if any, is counted lost rather than sent again: the server may
        // have stored it before the connection broke.
        auto& connection = m_connections[index];
        const bool wasBusy = connection.busy;
        if (wasBusy) {
            ++m_result.connectionFailures;
            connection.busy = false;
            --m_busy;
        }
        closeConnection(index);
        if (!m_stopping) {
            open(index);
            if (wasBusy) { // an idle one is in m_idle already
                m_idle.push_back(index);
            }
        }
    }

    void stop(double now) {
        m_stopping = true;
        m_stoppedMs = now;
        for (const std::size_t index : m_idle) {
            closeConnection(index);
        }
        m_idle.clear();
    }

    const LoadPlan& m_plan;
    SteadyClock::time_point m_start;
    std::atomic<std::uint64_t>& m_acceptedCount;
    int m_epoll;
    std::vector<Connection> m_connections;
    std::vector<std::size_t> m_idle;
    std::uint64_t m_next = 0;
    std::uint64_t m_busy = 0;
    bool m_stopping = false;
    double m_endMs = 0;
    double m_stoppedMs = 0;
    double m_lastReplyMs = 0;
    LoadResult m_result;
};

} // namespace

LoadGenerator::LoadGenerator(int port, const RequestStream& stream, LoadPlan plan)
    : LoadGenerator(std::vector<LoadTarget>{{port, &stream}}, plan) {}

LoadGenerator::LoadGenerator(std::vector<LoadTarget> targets, LoadPlan plan)
    : m_targets(std::move(targets)), m_plan(plan) {
    if (m_targets.empty()) {
        throw std::invalid_argument("a load generator needs at least one target");
    }
}

LoadResult LoadGenerator::run(SteadyClock::time_point start) {
    Run run(m_targets, m_plan, start, m_accepted);
    return run.execute();
}

} // namespace gp::bench
