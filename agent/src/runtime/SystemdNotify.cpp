#include <gp/agent/SystemdNotify.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace gp::agent {

namespace {

// The datagram socket, closed whatever happens on the way.
class DatagramSocket {
public:
    DatagramSocket() : m_fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
    ~DatagramSocket() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    DatagramSocket(const DatagramSocket&) = delete;
    DatagramSocket& operator=(const DatagramSocket&) = delete;

    bool valid() const { return m_fd >= 0; }
    int fd() const { return m_fd; }

private:
    int m_fd;
};

} // namespace

bool notifySystemdAt(const std::string& socketPath, std::string_view state) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    // A path must fit with its terminating NUL; an abstract name ('@' becomes NUL) need not.
    if (socketPath.empty() || socketPath.size() >= sizeof(address.sun_path)) {
        return false;
    }
    std::memcpy(address.sun_path, socketPath.data(), socketPath.size());
    if (address.sun_path[0] == '@') {
        address.sun_path[0] = '\0';
    }
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socketPath.size() +
                                               (socketPath.front() == '@' ? 0 : 1));

    DatagramSocket socket;
    if (!socket.valid()) {
        return false;
    }
    // sockaddr_un is one of the address types sendto takes through the generic sockaddr.
    const auto* target = reinterpret_cast<const sockaddr*>(&address);
    const auto sent =
        ::sendto(socket.fd(), state.data(), state.size(), MSG_NOSIGNAL, target, length);
    return sent == static_cast<ssize_t>(state.size());
}

bool notifySystemd(std::string_view state) {
    const char* socketPath = std::getenv("NOTIFY_SOCKET");
    if (socketPath == nullptr) {
        return false;
    }
    return notifySystemdAt(socketPath, state);
}

} // namespace gp::agent
