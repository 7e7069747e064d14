#include "InboundListener.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include <limits>

namespace gp::agent {

namespace {

class InboundHandler final : public Poco::Net::HTTPRequestHandler {
public:
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        using Poco::Net::HTTPResponse;
        std::string body;
        if (request.getURI() == "/healthz") {
            response.setStatus(HTTPResponse::HTTP_OK);
            body = R"({"status":"ok"})";
            response.setContentType("application/json");
        } else {
            // Draining the body lets the sender read our answer instead of a reset.
            request.stream().ignore(std::numeric_limits<std::streamsize>::max());
            response.setStatus(HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
            body = "inbound messages are not accepted by this gp-agent version\n";
            response.setContentType("text/plain");
        }
        response.setContentLength(static_cast<std::streamsize>(body.size()));
        response.send() << body;
    }
};

class InboundFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Poco::Net::HTTPRequestHandler*
    createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new InboundHandler;
    }
};

} // namespace

InboundListener::InboundListener(std::string bind, int port)
    : m_bind(std::move(bind)), m_requestedPort(port) {}

InboundListener::~InboundListener() {
    stop();
}

void InboundListener::start() {
    Poco::Net::ServerSocket socket(
        Poco::Net::SocketAddress(m_bind, static_cast<Poco::UInt16>(m_requestedPort)));
    m_port = socket.address().port();
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(2);
    m_server = std::make_unique<Poco::Net::HTTPServer>(new InboundFactory, socket, params);
    m_server->start();
}

void InboundListener::stop() {
    if (m_server) {
        m_server->stopAll(true);
        m_server.reset();
    }
}

} // namespace gp::agent
