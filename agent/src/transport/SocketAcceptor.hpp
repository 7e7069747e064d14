#pragma once

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <functional>
#include <string>
#include <thread>

namespace gp::agent {

/// Accepts connections on a listening socket in a thread of its own that sleeps in poll() until
/// a client connects or stop() is asked for (an eventfd wakes it), and hands each accepted
/// socket to `handler`. Poco's TCPServer instead wakes every 250 ms to look for a stop request:
/// on an idle practice server that is four wake-ups a second per listener for nothing.
/// The listening socket may be TLS (a SecureServerSocket): its accepted sockets handshake on
/// first use, in whoever reads them, never in this thread.
class SocketAcceptor {
public:
    using Handler = std::function<void(const Poco::Net::StreamSocket&)>;

    /// `threadName` (at most 15 characters) names the thread in ps and /proc.
    SocketAcceptor(Poco::Net::ServerSocket listening, Handler handler, std::string threadName);
    ~SocketAcceptor();
    SocketAcceptor(const SocketAcceptor&) = delete;
    SocketAcceptor& operator=(const SocketAcceptor&) = delete;

    void start();
    /// Wakes the thread, waits for it to end and closes the listening socket; idempotent.
    void stop();
    int port() const { return m_port; }

private:
    void run();
    void acceptOne();

    Poco::Net::ServerSocket m_listening;
    Handler m_handler;
    std::string m_threadName;
    int m_port = 0;
    int m_stopEvent = -1; // eventfd: written once by stop()
    std::thread m_thread;
};

} // namespace gp::agent
