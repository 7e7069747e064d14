#include "SocketAcceptor.hpp"

#include <Poco/Logger.h>

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>

namespace gp::agent {

namespace {

Poco::Logger& logger() {
    return Poco::Logger::get("gp-agent.listener");
}

// After a failed accept (out of file descriptors, say) the pending connection is still there,
// so the socket stays readable: rest a little before trying again rather than spin.
constexpr int kAcceptFailureRestMillis = 100;

} // namespace

SocketAcceptor::SocketAcceptor(Poco::Net::ServerSocket listening, Handler handler,
                               std::string threadName)
    : m_listening(std::move(listening)), m_handler(std::move(handler)),
      m_threadName(std::move(threadName)), m_port(m_listening.address().port()),
      m_stopEvent(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (m_stopEvent < 0) {
        throw std::runtime_error("cannot create an eventfd for the " + m_threadName +
                                 " listener: errno " + std::to_string(errno));
    }
    // Non-blocking, so a client that gives up between poll() and accept() cannot leave this
    // thread stuck in accept() where stop() would not reach it. Accepted sockets still block.
    m_listening.setBlocking(false);
}

SocketAcceptor::~SocketAcceptor() {
    stop();
    ::close(m_stopEvent);
}

void SocketAcceptor::start() {
    if (m_thread.joinable()) {
        return;
    }
    m_thread = std::thread([this] { run(); });
    ::pthread_setname_np(m_thread.native_handle(), m_threadName.substr(0, 15).c_str());
}

void SocketAcceptor::stop() {
    if (m_thread.joinable()) {
        const std::uint64_t one = 1;
        // Cannot fail short of a bug: the counter is far from its limit.
        [[maybe_unused]] const auto written = ::write(m_stopEvent, &one, sizeof one);
        m_thread.join();
    }
    m_listening.close();
}

void SocketAcceptor::run() {
    for (;;) {
        pollfd waits[2] = {{m_listening.impl()->sockfd(), POLLIN, 0}, {m_stopEvent, POLLIN, 0}};
        // No timeout: the thread sleeps until a client connects or stop() writes the event.
        const int ready = ::poll(waits, 2, -1);
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            logger().error("%s: poll failed (errno %d); no longer accepting", m_threadName, errno);
            return;
        }
        if (waits[1].revents != 0) {
            return;
        }
        if (waits[0].revents != 0) {
            acceptOne();
        }
    }
}

void SocketAcceptor::acceptOne() {
    try {
        Poco::Net::StreamSocket socket = m_listening.acceptConnection();
        socket.setNoDelay(true); // small replies go out at once, as Poco's TCPServer does
        m_handler(socket);
    } catch (const Poco::Exception& e) {
        const int error = e.code(); // Poco's socket errors carry errno
        if (error == EAGAIN || error == EWOULDBLOCK) {
            return; // the client went away between poll and accept
        }
        logger().warning("%s: cannot accept a connection: %s", m_threadName, e.displayText());
        if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
            pollfd stopWait{m_stopEvent, POLLIN, 0};
            ::poll(&stopWait, 1, kAcceptFailureRestMillis);
        }
    } catch (const std::exception& e) {
        logger().error("%s: connection not served: %s", m_threadName, std::string(e.what()));
    }
}

} // namespace gp::agent
