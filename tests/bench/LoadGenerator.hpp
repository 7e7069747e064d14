#pragma once

// A cheap HTTP load generator for the benchmarks: one thread, one epoll set, C kept-alive
// loopback connections, each with its own copy of a pre-built request patched in place (so the
// agent under test, which shares the machine's two cores, keeps nearly all of them).
//
// Closed loop (rate 0): every connection sends its next request as soon as the last reply came.
// Open loop (rate R): request n is due at n / R seconds; it goes on the first idle connection,
// and its accept latency counts from when it was due, so a slow server cannot hide its queue
// behind a generator that waited (coordinated omission).

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gp::bench {

using SteadyClock = std::chrono::steady_clock;

/// What the requests are and how to read the accepted message's id from a reply.
class RequestStream {
public:
    virtual ~RequestStream() = default;
    /// Every request has this length and starts as a copy of these bytes.
    virtual const std::string& requestTemplate() const = 0;
    /// Turns `request` (a copy of the template, perhaps already patched) into request `index`.
    virtual void prepare(std::string& request, std::uint64_t index) const = 0;
    /// The message id a 202 names (36 characters); empty when the reply names none.
    virtual std::string_view acceptedId(std::string_view head, std::string_view body) const = 0;
};

struct LoadPlan {
    int connections = 4;
    double ratePerSecond = 0; // 0: closed loop
    double durationSeconds = 10;
    std::uint64_t maxRequests = 0; // 0: as many as fit in the duration
    double drainSeconds = 60;      // how long to wait for replies still due after the end
};

struct AcceptedMessage {
    std::array<char, 36> id;
    float dueAtMs;    // since the load began: when it was sent (closed) or due (open loop)
    float acceptedMs; // reply minus dueAt
};

struct LoadResult {
    std::vector<AcceptedMessage> accepted;
    std::uint64_t sent = 0;
    std::map<int, std::uint64_t> refusedByStatus; // any reply other than 202
    std::string firstRefusal;                     // its body, to say why
    std::uint64_t connectionFailures = 0;         // closed mid-request, reconnected
    std::uint64_t lostRequests = 0;               // no reply by the end of the drain
    int connectionsNeverServed = 0; // more connections than the server has threads for
    double loadSeconds = 0;         // first send to the last reply
    double worstLagMs = 0;          // open loop: latest a due request went out
};

/// Where a share of the connections go: a server's port and the requests it takes (with its own
/// token, say). Several targets are several instances of one service, as behind a load balancer.
struct LoadTarget {
    int port = 0;
    const RequestStream* stream = nullptr;
};

class LoadGenerator {
public:
    LoadGenerator(int port, const RequestStream& stream, LoadPlan plan);
    /// Connection i goes to targets[i % targets.size()]; request numbers stay one sequence.
    LoadGenerator(std::vector<LoadTarget> targets, LoadPlan plan);

    /// Runs the plan from `start` to the end; call once, from one thread.
    LoadResult run(SteadyClock::time_point start);

    /// Replies with 202 so far; safe to read from another thread while run() goes on.
    std::uint64_t acceptedSoFar() const { return m_accepted.load(std::memory_order_relaxed); }

private:
    std::vector<LoadTarget> m_targets;
    LoadPlan m_plan;
    std::atomic<std::uint64_t> m_accepted{0};
};

} // namespace gp::bench
