// gp-agent's READY=1 / STOPPING=1 to systemd (Type=notify), without libsystemd.

#include "StoreTestSupport.hpp"

#include <gp/agent/SystemdNotify.hpp>

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// A datagram socket standing in for systemd's notification socket.
class NotifyListener {
public:
    explicit NotifyListener(const std::string& path) : m_path(path) {
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(m_fd >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, path.data(), path.size());
        socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
        if (path.front() == '@') {
            address.sun_path[0] = '\0';
        } else {
            ++length;
        }
        REQUIRE(::bind(m_fd, reinterpret_cast<const sockaddr*>(&address), length) == 0);
    }
    ~NotifyListener() { ::close(m_fd); }
    NotifyListener(const NotifyListener&) = delete;
    NotifyListener& operator=(const NotifyListener&) = delete;

    std::string receive() {
        char buffer[512];
        const auto got = ::recv(m_fd, buffer, sizeof buffer, MSG_DONTWAIT);
        return got > 0 ? std::string(buffer, static_cast<std::size_t>(got)) : std::string();
    }

private:
    std::string m_path;
    int m_fd = -1;
};

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("systemd notifications reach the socket NOTIFY_SOCKET names, path or abstract") {
        gp::test::TempDir dir;
        const std::string path = dir.file("notify").string();
        NotifyListener listener(path);
        CHECK(gp::agent::notifySystemdAt(path, "READY=1\nSTATUS=sending"));
        CHECK(listener.receive() == "READY=1\nSTATUS=sending");

        const std::string abstractName = "@gp-agent-notify-test-" + std::to_string(::getpid());
        NotifyListener abstractListener(abstractName);
        ::setenv("NOTIFY_SOCKET", abstractName.c_str(), 1);
        CHECK(gp::agent::notifySystemd("STOPPING=1"));
        CHECK(abstractListener.receive() == "STOPPING=1");
        ::unsetenv("NOTIFY_SOCKET");
    }

    TEST_CASE("without systemd's socket the notification is skipped and the service runs on") {
        ::unsetenv("NOTIFY_SOCKET");
        CHECK_FALSE(gp::agent::notifySystemd("READY=1"));
        gp::test::TempDir dir;
        CHECK_FALSE(gp::agent::notifySystemdAt(dir.file("nobody-listens").string(), "READY=1"));
        CHECK_FALSE(gp::agent::notifySystemdAt(std::string(200, 'x'), "READY=1"));
    }
}
