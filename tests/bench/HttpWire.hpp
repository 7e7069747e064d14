#pragma once

// The few pieces of HTTP/1.1 the load generator needs, over raw loopback sockets: enough to read
// a reply framed by Content-Length (every reply gp-agent's local API and MHS front send), and a
// blocking kept-alive client for the benchmark's own polling. Nothing here allocates per request
// once its buffers have grown.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gp::bench {

/// The framing of one complete reply at the front of a receive buffer.
struct ReplyFrame {
    int status = 0;
    std::size_t headBytes = 0; // up to and including the blank line
    std::size_t bodyBytes = 0;
    bool closes = false; // "Connection: close"

    std::size_t totalBytes() const { return headBytes + bodyBytes; }
    std::string_view head(std::string_view buffer) const { return buffer.substr(0, headBytes); }
    std::string_view body(std::string_view buffer) const {
        return buffer.substr(headBytes, bodyBytes);
    }
};

/// The reply at the front of `buffer` once all of it has arrived; nullopt while incomplete.
/// Throws std::runtime_error for a reply it cannot frame (no Content-Length, bad status line).
std::optional<ReplyFrame> frameReply(std::string_view buffer);

/// The value of header `name` (case-insensitive) in `head`, without surrounding spaces.
std::string_view headerValue(std::string_view head, std::string_view name);

/// A TCP connection to 127.0.0.1:port with TCP_NODELAY; the descriptor, or throws.
int connectLoopback(int port, bool nonBlocking);

/// One kept-alive connection used from one thread at a time: the benchmark's status polls and
/// message look-ups. Opened before the load starts, so it holds one of the server's threads and
/// is never starved by load connections (Poco serves a kept-alive connection on one thread).
class KeepAliveClient {
public:
    KeepAliveClient(int port, std::string token);
    ~KeepAliveClient();
    KeepAliveClient(const KeepAliveClient&) = delete;
    KeepAliveClient& operator=(const KeepAliveClient&) = delete;

    struct Reply {
        int status = 0;
        std::string body;
    };
    /// GET `path`; reconnects once if the server closed the connection meanwhile.
    Reply get(const std::string& path);

private:
    Reply exchange(const std::string& request);
    void reconnect();

    int m_port;
    std::string m_token;
    int m_fd = -1;
    std::string m_buffer;
};

} // namespace gp::bench
