#include "FaultProxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace gp::test {

namespace {

/// How often a waiting thread looks at the mode and the stop flag.
constexpr int kPollMillis = 20;

/// A socket descriptor closed when it goes out of scope.
class Socket {
public:
    explicit Socket(int fd = -1) : m_fd(fd) {}
    ~Socket() { close(); }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    int fd() const { return m_fd; }
    bool open() const { return m_fd >= 0; }
    void adopt(int fd) {
        close();
        m_fd = fd;
    }
    void close() {
        if (m_fd >= 0) {
            ::close(m_fd);
            m_fd = -1;
        }
    }
    /// Closes with a TCP reset instead of an orderly FIN.
    void reset() {
        if (m_fd >= 0) {
            const linger hard{1, 0};
            ::setsockopt(m_fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
            close();
        }
    }

private:
    int m_fd;
};

sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

int connectTo(const std::string& host, int port) {
    sockaddr_in address = loopback(port);
    if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
        return -1;
    }
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool sendAll(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        data += sent;
        size -= static_cast<std::size_t>(sent);
    }
    return true;
}

/// Reads what is there: the byte count, 0 at end of stream, -1 on error.
ssize_t receiveSome(int fd, char* buffer, std::size_t size) {
    while (true) {
        const ssize_t got = ::recv(fd, buffer, size, 0);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        return got;
    }
}

} // namespace

struct FaultProxy::Connection {
    explicit Connection(int clientFd) : client(clientFd) {}
    Socket client;
    Socket upstream;
    std::size_t sentUpstream = 0;
    std::atomic<bool> closeRequested{false};
};

FaultProxy::FaultProxy(std::string upstreamHost, int upstreamPort)
    : FaultProxy(std::move(upstreamHost), std::vector<int>{upstreamPort}) {}

FaultProxy::FaultProxy(std::string upstreamHost, std::vector<int> upstreamPorts)
    : m_upstreamHost(std::move(upstreamHost)), m_upstreamPorts(std::move(upstreamPorts)) {
    if (m_upstreamPorts.empty()) {
        throw std::invalid_argument("a proxy needs at least one upstream port");
    }
    openListener();
    m_acceptThread = std::thread([this] { acceptLoop(); });
}

FaultProxy::~FaultProxy() {
    m_stopping = true;
    if (m_acceptThread.joinable()) {
        m_acceptThread.join();
    }
    closeAllConnections();
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(m_mutex);
        threads.swap(m_threads);
    }
    for (auto& thread : threads) {
        thread.join();
    }
    closeListener();
}

std::string FaultProxy::baseUrl() const {
    return "http://127.0.0.1:" + std::to_string(m_port);
}

void FaultProxy::openListener() {
    std::lock_guard lock(m_mutex);
    if (m_listener >= 0) {
        return;
    }
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::runtime_error(std::string("proxy socket: ") + std::strerror(errno));
    }
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    // Port 0 the first time; afterwards the port clients were given, so a refused spell ends
    // with the same address working again.
    sockaddr_in address = loopback(m_port);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd, 64) != 0) {
        const int error = errno;
        ::close(fd);
        throw std::runtime_error("proxy listen on port " + std::to_string(m_port) + ": " +
                                 std::strerror(error));
    }
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    m_port = ntohs(address.sin_port);
    m_listener = fd;
}

void FaultProxy::closeListener() {
    std::lock_guard lock(m_mutex);
    if (m_listener >= 0) {
        // shutdown first: the accept thread's poll wakes with the socket unusable, never with a
        // descriptor number that may already name something else.
        ::shutdown(m_listener, SHUT_RDWR);
        ::close(m_listener);
        m_listener = -1;
    }
}

void FaultProxy::setMode(Settings settings) {
    const bool refusing = settings.mode == Mode::Refuse;
    {
        std::lock_guard lock(m_mutex);
        m_settings = settings;
    }
    if (refusing) {
        closeListener();
        closeAllConnections();
    } else {
        openListener();
    }
}

FaultProxy::Settings FaultProxy::settings() const {
    std::lock_guard lock(m_mutex);
    return m_settings;
}

FaultProxy::Mode FaultProxy::mode() const {
    return settings().mode;
}

void FaultProxy::passThrough() {
    setMode(Settings{});
}

void FaultProxy::refuse() {
    Settings settings;
    settings.mode = Mode::Refuse;
    setMode(settings);
}

void FaultProxy::hang() {
    Settings settings;
    settings.mode = Mode::Hang;
    setMode(settings);
}

void FaultProxy::resetAfter(std::size_t requestBytes, int times) {
    Settings settings;
    settings.mode = Mode::Reset;
    settings.resetAfterBytes = requestBytes;
    settings.timesLeft = times;
    setMode(settings);
}

void FaultProxy::swallowReplies(int times) {
    Settings settings;
    settings.mode = Mode::Swallow;
    settings.timesLeft = times;
    setMode(settings);
}

void FaultProxy::trickle(Pacing pacing) {
    Settings settings;
    settings.mode = Mode::Trickle;
    settings.pacing = pacing;
    setMode(settings);
}

void FaultProxy::holdReplies() {
    Settings settings;
    settings.mode = Mode::Hold;
    setMode(settings);
}

int FaultProxy::connectUpstream() {
    const std::size_t count = m_upstreamPorts.size();
    const std::size_t first = m_nextUpstream.fetch_add(1) % count;
    for (std::size_t tried = 0; tried < count; ++tried) {
        const int fd = connectTo(m_upstreamHost, m_upstreamPorts[(first + tried) % count]);
        if (fd >= 0) {
            return fd;
        }
        if (count > 1) {
            ++m_skipped;
        }
    }
    return -1;
}

bool FaultProxy::useOneShot(Mode expected) {
    std::lock_guard lock(m_mutex);
    if (m_settings.mode != expected || m_settings.timesLeft <= 0) {
        return false;
    }
    if (--m_settings.timesLeft == 0) {
        m_settings = Settings{};
    }
    return true;
}

void FaultProxy::closeAllConnections() {
    std::lock_guard lock(m_mutex);
    for (const auto& connection : m_connections) {
        connection->closeRequested = true;
    }
    m_connections.clear();
}

void FaultProxy::acceptLoop() {
    while (!m_stopping) {
        int listener = -1;
        {
            std::lock_guard lock(m_mutex);
            listener = m_listener;
        }
        if (listener < 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(kPollMillis));
            continue;
        }
        pollfd waiting{listener, POLLIN, 0};
        if (::poll(&waiting, 1, kPollMillis) <= 0 || (waiting.revents & POLLIN) == 0) {
            continue;
        }
        const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) {
            continue; // the listener was closed under us, or the client gave up
        }
        ++m_accepted;
        auto connection = std::make_shared<Connection>(client);
        std::lock_guard lock(m_mutex);
        m_connections.push_back(connection);
        m_threads.emplace_back([this, connection] { relay(connection); });
    }
}

void FaultProxy::relay(const std::shared_ptr<Connection>& connection) {
    // However the relay ends, both sides see the connection close then, not when the proxy goes.
    struct CloseOnExit {
        Connection& connection;
        ~CloseOnExit() {
            connection.client.close();
            connection.upstream.close();
        }
    } closeOnExit{*connection};
    std::vector<char> buffer(64 * 1024);
    const auto over = [&] { return m_stopping || connection->closeRequested; };
    while (!over()) {
        const Settings now = settings();
        if (now.mode == Mode::Hang) {
            // Read and forget, so the client believes it is being heard.
            pollfd waiting{connection->client.fd(), POLLIN, 0};
            if (::poll(&waiting, 1, kPollMillis) > 0 &&
                receiveSome(connection->client.fd(), buffer.data(), buffer.size()) <= 0) {
                return;
            }
            continue;
        }
        if (!connection->upstream.open()) {
            const int upstream = connectUpstream();
            if (upstream < 0) {
                connection->client.reset();
                return;
            }
            connection->upstream.adopt(upstream);
        }
        pollfd waiting[2] = {{connection->client.fd(), POLLIN, 0},
                             {connection->upstream.fd(), POLLIN, 0}};
        if (::poll(waiting, 2, kPollMillis) <= 0) {
            continue;
        }
        if (waiting[0].revents != 0) {
            const ssize_t got = receiveSome(connection->client.fd(), buffer.data(), buffer.size());
            if (got <= 0) {
                return;
            }
            std::size_t size = static_cast<std::size_t>(got);
            bool resetNow = false;
            if (now.mode == Mode::Reset && connection->sentUpstream + size >= now.resetAfterBytes &&
                useOneShot(Mode::Reset)) {
                size = now.resetAfterBytes > connection->sentUpstream
                           ? now.resetAfterBytes - connection->sentUpstream
                           : 0;
                resetNow = true;
            }
            if (!sendAll(connection->upstream.fd(), buffer.data(), size)) {
                connection->client.reset();
                return;
            }
            connection->sentUpstream += size;
            m_bytesUpstream += size;
            if (resetNow) {
                ++m_resets;
                connection->upstream.reset();
                connection->client.reset();
                return;
            }
        }
        if (waiting[1].revents != 0) {
            const ssize_t got =
                receiveSome(connection->upstream.fd(), buffer.data(), buffer.size());
            if (got <= 0) {
                return;
            }
            if (now.mode == Mode::Hold) {
                ++m_held; // the upstream answered; the client never hears it
                continue;
            }
            if (now.mode == Mode::Swallow && useOneShot(Mode::Swallow)) {
                // The upstream has processed the request (it is answering): the reply is lost.
                ++m_swallowed;
                return;
            }
            const std::size_t size = static_cast<std::size_t>(got);
            const std::size_t chunk =
                now.mode == Mode::Trickle ? std::max<std::size_t>(1, now.pacing.chunkBytes) : size;
            for (std::size_t offset = 0; offset < size && !over(); offset += chunk) {
                if (now.mode == Mode::Trickle) {
                    std::this_thread::sleep_for(now.pacing.gap);
                }
                if (!sendAll(connection->client.fd(), buffer.data() + offset,
                             std::min(chunk, size - offset))) {
                    return;
                }
            }
        }
    }
}

} // namespace gp::test
