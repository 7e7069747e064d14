#include "../../../agent/src/transport/QuietHttpServer.hpp"

#include "../../../agent/src/transport/ConnectionWorkers.hpp"
#include "../../../agent/src/transport/SocketAcceptor.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/StreamCopier.h>
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace gp::agent;
using namespace std::chrono_literals;

namespace {

Poco::Net::ServerSocket loopbackListener() {
    return Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0));
}

Poco::Net::StreamSocket connectTo(int port) {
    return Poco::Net::StreamSocket(Poco::Net::SocketAddress("127.0.0.1", port));
}

/// What a handler saw, and a way for the test to wait for it (never a sleep).
class Mailbox {
public:
    void put(const Poco::Net::StreamSocket& socket) {
        std::lock_guard lock(m_mutex);
        m_sockets.push_back(socket);
        m_changed.notify_all();
    }
    bool waitFor(std::size_t count, std::chrono::milliseconds timeout = 10s) {
        std::unique_lock lock(m_mutex);
        return m_changed.wait_for(lock, timeout, [&] { return m_sockets.size() >= count; });
    }
    std::vector<Poco::Net::StreamSocket> sockets() {
        std::lock_guard lock(m_mutex);
        return m_sockets;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::vector<Poco::Net::StreamSocket> m_sockets;
};

/// A connection that echoes one line back, or, when told to, waits for its peer to close.
struct Counters {
    std::mutex mutex;
    std::condition_variable changed;
    int started = 0;
    int finished = 0;
    template <typename Condition>
    bool waitFor(Condition condition) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, 10s, condition);
    }
};

class ReadUntilClosed final : public Poco::Net::TCPServerConnection {
public:
    ReadUntilClosed(const Poco::Net::StreamSocket& socket, Counters& counters)
        : TCPServerConnection(socket), m_counters(counters) {}
    void run() override {
        {
            std::lock_guard lock(m_counters.mutex);
            ++m_counters.started;
            m_counters.changed.notify_all();
        }
        char buffer[64];
        try {
            while (socket().receiveBytes(buffer, sizeof buffer) > 0) {
                socket().sendBytes(buffer, 1); // acknowledges each read with one byte
            }
        } catch (const Poco::Exception&) {
            // cut off by stop(): that is what the test wants
        }
        std::lock_guard lock(m_counters.mutex);
        ++m_counters.finished;
        m_counters.changed.notify_all();
    }

private:
    Counters& m_counters;
};

class ReadUntilClosedFactory final : public Poco::Net::TCPServerConnectionFactory {
public:
    explicit ReadUntilClosedFactory(Counters& counters) : m_counters(counters) {}
    Poco::Net::TCPServerConnection*
    createConnection(const Poco::Net::StreamSocket& socket) override {
        return new ReadUntilClosed(socket, m_counters);
    }

private:
    Counters& m_counters;
};

class HelloHandler final : public Poco::Net::HTTPRequestHandler {
public:
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        // With a length the connection can stay open for the next request; without one the body
        // would end at the close and every request would need a connection of its own.
        const std::string body = "hello " + request.getURI();
        response.setContentType("text/plain");
        response.setContentLength(static_cast<std::streamsize>(body.size()));
        response.send() << body;
    }
};

class HelloFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Poco::Net::HTTPRequestHandler*
    createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new HelloHandler;
    }
};

/// Checks `condition` every few milliseconds until it holds or 10 s have passed: for states
/// that nothing signals (a worker thread ending), so there is no event to wait on.
template <typename Condition>
bool eventually(Condition condition) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

std::string get(Poco::Net::HTTPClientSession& session, const std::string& path) {
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::ostringstream body;
    Poco::StreamCopier::copyStream(session.receiveResponse(response), body);
    return body.str();
}

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("SocketAcceptor hands each accepted connection to its handler") {
        Mailbox accepted;
        SocketAcceptor acceptor(
            loopbackListener(), [&](const Poco::Net::StreamSocket& s) { accepted.put(s); },
            "test-accept");
        acceptor.start();
        REQUIRE(acceptor.port() > 0);

        Poco::Net::StreamSocket first = connectTo(acceptor.port());
        Poco::Net::StreamSocket second = connectTo(acceptor.port());
        REQUIRE(accepted.waitFor(2));

        // The handler got the server side of these very connections: what a client writes arrives.
        const auto sockets = accepted.sockets();
        CHECK(sockets[0].peerAddress() == first.address());
        CHECK(sockets[1].peerAddress() == second.address());
        first.sendBytes("x", 1);
        char byte = 0;
        CHECK(Poco::Net::StreamSocket(sockets[0]).receiveBytes(&byte, 1) == 1);
        CHECK(byte == 'x');
        acceptor.stop();
    }

    TEST_CASE("SocketAcceptor stops at once when asked and closes its listening socket") {
        Mailbox accepted;
        auto acceptor = std::make_unique<SocketAcceptor>(
            loopbackListener(), [&](const Poco::Net::StreamSocket& s) { accepted.put(s); },
            "test-accept");
        acceptor->start();
        const int port = acceptor->port();

        // stop() does not wait for a poll to time out: the thread sleeps without one and an event
        // wakes it, so this returns long before the second a polling loop might take.
        const auto asked = std::chrono::steady_clock::now();
        acceptor->stop();
        CHECK(std::chrono::steady_clock::now() - asked < 1s);

        CHECK_THROWS_AS(connectTo(port), Poco::Net::ConnectionRefusedException);
        CHECK(accepted.sockets().empty());
        acceptor->stop(); // a second stop is harmless, as is the destructor's
        acceptor.reset();
    }

    TEST_CASE("SocketAcceptor that was never started stops without waiting") {
        SocketAcceptor acceptor(
            loopbackListener(), [](const Poco::Net::StreamSocket&) {}, "idle");
        const int port = acceptor.port();
        acceptor.stop();
        CHECK_THROWS_AS(connectTo(port), Poco::Net::ConnectionRefusedException);
    }

    TEST_CASE("ConnectionWorkers serve connections in parallel up to the limit, then retire") {
        Counters counters;
        ConnectionWorkers workers(new ReadUntilClosedFactory(counters),
                                  ConnectionWorkers::Limits{2, 8, 50ms}, "test-conn");
        Poco::Net::ServerSocket listener = loopbackListener();
        const int port = listener.address().port();

        std::vector<Poco::Net::StreamSocket> clients;
        for (int i = 0; i < 3; ++i) {
            clients.push_back(connectTo(port));
            workers.serve(listener.acceptConnection());
        }
        // Two run at once; the third waits for a free worker rather than a third thread.
        REQUIRE(counters.waitFor([&] { return counters.started == 2; }));
        CHECK(workers.threadCount() == 2);

        clients[0].close(); // its worker finishes and takes the waiting one
        REQUIRE(counters.waitFor([&] { return counters.started == 3 && counters.finished == 1; }));
        clients[1].close();
        clients[2].close();
        REQUIRE(counters.waitFor([&] { return counters.finished == 3; }));

        // With nothing to do, every worker ends after its idle time: an idle server keeps none.
        CHECK(eventually([&] { return workers.threadCount() == 0; }));

        // And a new connection starts one again.
        Poco::Net::StreamSocket again = connectTo(port);
        workers.serve(listener.acceptConnection());
        REQUIRE(counters.waitFor([&] { return counters.started == 4; }));
        again.sendBytes("y", 1);
        char reply = 0;
        CHECK(again.receiveBytes(&reply, 1) == 1);
        workers.stop();
    }

    TEST_CASE("ConnectionWorkers stop cuts off connections in progress and joins their workers") {
        Counters counters;
        ConnectionWorkers workers(new ReadUntilClosedFactory(counters),
                                  ConnectionWorkers::Limits{4, 8, 10s}, "test-conn");
        Poco::Net::ServerSocket listener = loopbackListener();
        Poco::Net::StreamSocket client = connectTo(listener.address().port());
        workers.serve(listener.acceptConnection());
        REQUIRE(counters.waitFor([&] { return counters.started == 1; }));

        // The client stays connected and silent: only stop() can end that connection.
        workers.stop();
        CHECK(counters.finished == 1);
        CHECK(workers.threadCount() == 0);

        // After stop, connections are refused rather than served.
        Poco::Net::StreamSocket late = connectTo(listener.address().port());
        workers.serve(listener.acceptConnection());
        char byte = 0;
        CHECK(late.receiveBytes(&byte, 1) == 0); // closed by the server, unserved
        CHECK(counters.started == 1);
    }

    TEST_CASE("QuietHttpServer answers HTTP with keep-alive and stops with a connection open") {
        auto params = new Poco::Net::HTTPServerParams;
        params->setKeepAlive(true);
        params->setMaxThreads(2);
        QuietHttpServer server(new HelloFactory, loopbackListener(), params, "test");
        server.start();

        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(server.port()));
        session.setKeepAlive(true);
        CHECK(get(session, "/one") == "hello /one");
        CHECK(get(session, "/two") == "hello /two"); // the same connection, served again
        CHECK(server.workerCount() == 1);

        const auto asked = std::chrono::steady_clock::now();
        server.stop(); // the kept-alive connection is cut off, not waited for
        CHECK(std::chrono::steady_clock::now() - asked < 1s);
        CHECK(server.workerCount() == 0);
    }

} // TEST_SUITE
