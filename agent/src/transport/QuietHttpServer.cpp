#include "QuietHttpServer.hpp"

#include <Poco/Net/HTTPServerConnectionFactory.h>

namespace gp::agent {

namespace {

ConnectionWorkers::Limits limitsOf(const Poco::Net::HTTPServerParams& params) {
    ConnectionWorkers::Limits limits;
    limits.maxThreads = std::max(1, params.getMaxThreads());
    limits.maxQueued = std::max(1, params.getMaxQueued());
    limits.idleTime = std::chrono::milliseconds(params.getThreadIdleTime().totalMilliseconds());
    return limits;
}

} // namespace

QuietHttpServer::QuietHttpServer(Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
                                 Poco::Net::ServerSocket listening,
                                 Poco::Net::HTTPServerParams::Ptr params, const std::string& name)
    : m_workers(new Poco::Net::HTTPServerConnectionFactory(params, std::move(factory)),
                limitsOf(*params), name + "-conn"),
      m_acceptor(
          std::move(listening),
          [this](const Poco::Net::StreamSocket& socket) { m_workers.serve(socket); },
          name + "-accept") {}

QuietHttpServer::~QuietHttpServer() {
    stop();
}

void QuietHttpServer::start() {
    m_acceptor.start();
}

void QuietHttpServer::stop() {
    m_acceptor.stop(); // first, so no connection arrives after the workers are told to stop
    m_workers.stop();
}

} // namespace gp::agent
