#pragma once

#include "ConnectionWorkers.hpp"
#include "SocketAcceptor.hpp"

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>

#include <string>

namespace gp::agent {

/// An HTTP (or, on a SecureServerSocket from listenOn, HTTPS) server that behaves as
/// Poco::Net::HTTPServer does for its clients (the same connections, sessions, keep-alive and
/// request handlers) but costs nothing while idle: its acceptor sleeps until a client connects
/// and its workers end after `params->getThreadIdleTime()` without work. Every listener of the
/// agent uses it: the local API, the inbound MHS endpoint and the MHS front.
class QuietHttpServer {
public:
    /// `name` (a few letters, e.g. "api") prefixes the names of its threads.
    QuietHttpServer(Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
                    Poco::Net::ServerSocket listening, Poco::Net::HTTPServerParams::Ptr params,
                    const std::string& name);
    ~QuietHttpServer();
    QuietHttpServer(const QuietHttpServer&) = delete;
    QuietHttpServer& operator=(const QuietHttpServer&) = delete;

    void start();
    /// Stops accepting, cuts off connections in progress and waits for their handlers to return.
    void stop();
    int port() const { return m_acceptor.port(); }
    int workerCount() const { return m_workers.threadCount(); }

private:
    ConnectionWorkers m_workers;
    SocketAcceptor m_acceptor;
};

} // namespace gp::agent
