#pragma once

#include <gp/Result.hpp>
#include <gp/mock/MockService.hpp>
#include <gp/mock/Waiter.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace Poco {
class ThreadPool;
}
namespace Poco::Net {
class HTTPServer;
}

namespace gp::mock {

/// The HTTP side of spine-mock: a Poco HTTPServer on mock.bind:mock.port whose request factory
/// routes every path to the service. Owns its thread pool so that stop() can join it.
class MockServer {
public:
    MockServer(MockService& service, ShutdownWaiter& waiter);
    ~MockServer();
    MockServer(const MockServer&) = delete;
    MockServer& operator=(const MockServer&) = delete;

    /// Binds and starts listening; throws Poco::Exception when the address cannot be bound.
    void start();
    /// The port actually bound (useful when mock.port is 0).
    std::uint16_t port() const { return m_port; }
    /// Wakes injected hangs, stops accepting, aborts open connections and joins the threads.
    void stop();

private:
    MockService& m_service;
    ShutdownWaiter& m_waiter;
    std::unique_ptr<Poco::ThreadPool> m_threads;
    std::unique_ptr<Poco::Net::HTTPServer> m_server;
    std::uint16_t m_port = 0;
};

/// Writes {"http": port} to <stateDir>/ports.json through a temporary file, fsync and rename, so
/// a reader never sees a half-written file.
Status writePortsFile(const std::string& stateDir, std::uint16_t httpPort);

} // namespace gp::mock
