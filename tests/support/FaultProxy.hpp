#pragma once

// A TCP proxy run inside the test process, between gp-agent and spine-mock, that fails the
// connection in the ways a network does: refused, hung, reset mid-upload, reply lost, reply
// trickled, or held back. The mode can be switched at any time; connections already open follow
// the new mode from their next byte. The proxy listens on a loopback port chosen by the kernel.
//
// Given several upstream ports it is also the load balancer of a hosted deployment: each new
// connection goes to the next backend in turn, and a backend that refuses the connection (its
// process is gone) is skipped for the next one.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gp::test {

/// How a trickled reply is paced: `chunkBytes` at a time with `gap` between two chunks.
struct Pacing {
    std::size_t chunkBytes = 64;
    std::chrono::milliseconds gap{5};
};

class FaultProxy {
public:
    enum class Mode {
        Pass,    // bytes flow both ways untouched
        Refuse,  // the listener is closed: a connect is refused
        Hang,    // accepted and read, never forwarded, never answered
        Reset,   // the request is forwarded up to a byte count, then both sides are reset
        Swallow, // the request is forwarded whole, the reply dropped and the client closed
        Trickle, // the reply is forwarded a few bytes at a time (see Pacing)
        Hold,    // the request is forwarded whole, the reply read and never passed on; the client's
                 // connection stays open, so the client waits for its own timeout
    };

    /// Starts listening at once, in pass-through mode, forwarding to upstreamHost:upstreamPort.
    FaultProxy(std::string upstreamHost, int upstreamPort);
    /// The same in front of several backends, round-robin per connection, skipping one that
    /// refuses; a connection no backend accepts is reset.
    FaultProxy(std::string upstreamHost, std::vector<int> upstreamPorts);
    ~FaultProxy(); // stops accepting, closes every connection, joins every thread
    FaultProxy(const FaultProxy&) = delete;
    FaultProxy& operator=(const FaultProxy&) = delete;

    int port() const { return m_port; }
    std::string baseUrl() const; // http://127.0.0.1:<port>

    void passThrough();
    /// Closes the listener (and the connections open through it): connects are refused until
    /// another mode reopens the listener on the same port.
    void refuse();
    void hang();
    /// The next `times` connections are reset once `requestBytes` bytes of their requests have
    /// gone upstream; after that the proxy passes through again.
    void resetAfter(std::size_t requestBytes, int times = 1);
    /// The next `times` replies are read from upstream and dropped, and their client connections
    /// closed; after that the proxy passes through again.
    void swallowReplies(int times = 1);
    void trickle(Pacing pacing);
    /// Until another mode is set, requests reach the upstream and their replies are held back.
    void holdReplies();

    Mode mode() const;
    /// What the proxy has done so far.
    int connectionsAccepted() const { return m_accepted.load(); }
    int resetsDone() const { return m_resets.load(); }
    int repliesSwallowed() const { return m_swallowed.load(); }
    std::size_t bytesUpstream() const { return m_bytesUpstream.load(); }
    /// Replies (or parts of replies) read from upstream and held back.
    int repliesHeld() const { return m_held.load(); }
    /// Connections that went to a later backend because the one whose turn it was refused.
    int backendsSkipped() const { return m_skipped.load(); }

private:
    struct Connection;
    struct Settings {
        Mode mode = Mode::Pass;
        std::size_t resetAfterBytes = 0;
        int timesLeft = 0;
        Pacing pacing;
    };

    void setMode(Settings settings);
    Settings settings() const;
    void openListener();
    void closeListener();
    void acceptLoop();
    void relay(const std::shared_ptr<Connection>& connection);
    /// Uses one of a one-shot mode's times; the proxy passes through when none are left.
    bool useOneShot(Mode expected);
    void closeAllConnections();
    /// A connection to the next backend that accepts one, or -1 when none does.
    int connectUpstream();

    const std::string m_upstreamHost;
    const std::vector<int> m_upstreamPorts;
    std::atomic<std::size_t> m_nextUpstream{0};
    int m_port = 0;

    mutable std::mutex m_mutex; // guards everything below that is not atomic
    Settings m_settings;
    int m_listener = -1;
    std::vector<std::shared_ptr<Connection>> m_connections;
    std::vector<std::thread> m_threads;

    std::atomic<bool> m_stopping{false};
    std::atomic<int> m_accepted{0};
    std::atomic<int> m_resets{0};
    std::atomic<int> m_swallowed{0};
    std::atomic<std::size_t> m_bytesUpstream{0};
    std::atomic<int> m_held{0};
    std::atomic<int> m_skipped{0};
    std::thread m_acceptThread;
};

} // namespace gp::test
