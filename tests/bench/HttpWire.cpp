#include "HttpWire.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace gp::bench {

namespace {

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

} // namespace

std::string_view headerValue(std::string_view head, std::string_view name) {
    std::size_t lineStart = head.find("\r\n");
    while (lineStart != std::string_view::npos && lineStart + 2 < head.size()) {
        lineStart += 2;
        const std::size_t lineEnd = head.find("\r\n", lineStart);
        const std::string_view line = head.substr(
            lineStart, lineEnd == std::string_view::npos ? head.npos : lineEnd - lineStart);
        const std::size_t colon = line.find(':');
        if (colon != std::string_view::npos && equalsIgnoringCase(line.substr(0, colon), name)) {
            return trimmed(line.substr(colon + 1));
        }
        lineStart = lineEnd;
    }
    return {};
}

std::optional<ReplyFrame> frameReply(std::string_view buffer) {
    const std::size_t blank = buffer.find("\r\n\r\n");
    if (blank == std::string_view::npos) {
        return std::nullopt;
    }
    ReplyFrame frame;
    frame.headBytes = blank + 4;
    const std::string_view head = buffer.substr(0, frame.headBytes);
    // "HTTP/1.1 202 Accepted"
    if (head.size() < 12 || head.substr(0, 5) != "HTTP/" ||
        std::from_chars(head.data() + 9, head.data() + 12, frame.status).ec != std::errc()) {
        throw std::runtime_error("not an HTTP reply: " + std::string(head.substr(0, 40)));
    }
    const std::string_view length = headerValue(head, "Content-Length");
    if (length.empty() ||
        std::from_chars(length.data(), length.data() + length.size(), frame.bodyBytes).ec !=
            std::errc()) {
        throw std::runtime_error("reply without Content-Length (HTTP " +
                                 std::to_string(frame.status) + ")");
    }
    frame.closes = equalsIgnoringCase(headerValue(head, "Connection"), "close");
    if (buffer.size() < frame.totalBytes()) {
        return std::nullopt;
    }
    return frame;
}

int connectLoopback(int port, bool nonBlocking) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // NOLINTNEXTLINE: the sockets API takes a sockaddr pointer.
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        const int error = errno;
        ::close(fd);
        throw std::runtime_error("connect to port " + std::to_string(port) + ": " +
                                 std::strerror(error));
    }
    // Poco writes head and body separately; without NODELAY our small requests would wait for
    // delayed ACKs the same way its replies once did (docs/performance.md).
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (nonBlocking) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    return fd;
}

KeepAliveClient::KeepAliveClient(int port, std::string token)
    : m_port(port), m_token(std::move(token)) {
    reconnect();
}

KeepAliveClient::~KeepAliveClient() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

void KeepAliveClient::reconnect() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
    m_fd = connectLoopback(m_port, false);
    timeval timeout{60, 0};
    ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    m_buffer.clear();
}

KeepAliveClient::Reply KeepAliveClient::get(const std::string& path) {
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                                "Authorization: Bearer " + m_token + "\r\n\r\n";
    try {
        return exchange(request);
    } catch (const std::runtime_error&) {
        // A kept-alive connection the server has since closed: one fresh try.
        reconnect();
        return exchange(request);
    }
}

KeepAliveClient::Reply KeepAliveClient::exchange(const std::string& request) {
    std::size_t written = 0;
    while (written < request.size()) {
        const ssize_t n =
            ::send(m_fd, request.data() + written, request.size() - written, MSG_NOSIGNAL);
        if (n <= 0) {
            throw std::runtime_error("send failed");
        }
        written += static_cast<std::size_t>(n);
    }
    m_buffer.clear();
    while (true) {
        if (auto frame = frameReply(m_buffer)) {
            Reply reply{frame->status, std::string(frame->body(m_buffer))};
            if (frame->closes) {
                reconnect();
            }
            return reply;
        }
        char chunk[65536];
        const ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
        if (n <= 0) {
            throw std::runtime_error("connection closed or timed out");
        }
        m_buffer.append(chunk, static_cast<std::size_t>(n));
    }
}

} // namespace gp::bench
