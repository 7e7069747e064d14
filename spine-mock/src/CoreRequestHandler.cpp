#include "CoreRequestHandler.hpp"

#include <gp/mock/AdminApi.hpp>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>

#include <istream>

namespace gp::mock {

namespace {

// A little above the largest body Spine accepts (about 5 MB), so oversized requests are refused
// rather than read without bound.
constexpr std::size_t kMaxBodyBytes = 16 * 1024 * 1024;

bool readBody(std::istream& in, std::string& body) {
    char buffer[64 * 1024];
    while (in) {
        in.read(buffer, sizeof buffer);
        body.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (body.size() > kMaxBodyBytes) {
            return false;
        }
    }
    return true;
}

void send(Poco::Net::HTTPServerResponse& response, const MockReply& reply) {
    const auto status = static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status);
    response.setStatusAndReason(status);
    if (!reply.contentType.empty()) {
        response.setContentType(reply.contentType);
    }
    for (const auto& [name, value] : reply.headers) {
        response.set(name, value);
    }
    response.setContentLength(static_cast<std::streamsize>(reply.body.size()));
    response.sendBuffer(reply.body.data(), reply.body.size());
}

void dropConnection(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                    bool reset) {
    response.setKeepAlive(false);
    auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
    if (impl == nullptr) {
        return;
    }
    Poco::Net::StreamSocket& socket = impl->socket();
    if (reset) {
        // Linger 0 makes close() send RST: the client sees "connection reset", no reply at all.
        socket.setLinger(true, 0);
    } else {
        socket.shutdown();
    }
    socket.close();
}

} // namespace

void CoreRequestHandler::handleRequest(Poco::Net::HTTPServerRequest& request,
                                       Poco::Net::HTTPServerResponse& response) {
    // Poco writes a response's header and body separately; without TCP_NODELAY the body waits
    // for the client's delayed ACK (about 40 ms) on every kept-alive exchange.
    if (auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request)) {
        impl->socket().setNoDelay(true);
    }
    MockRequest core;
    core.method = request.getMethod();
    try {
        const Poco::URI uri(request.getURI());
        core.path = uri.getPath();
        for (auto& parameter : uri.getQueryParameters()) {
            core.queryParameters.emplace_back(std::move(parameter));
        }
    } catch (const Poco::Exception& error) {
        send(response, errorReply(400, "uri", error.message()));
        return;
    }
    for (const auto& [name, value] : request) {
        core.headers.emplace_back(name, value);
    }
    if (!readBody(request.stream(), core.body)) {
        send(response, errorReply(413, "body", "larger than 16 MiB"));
        return;
    }

    const MockAction action = m_core(core);
    switch (action.kind) {
    case MockAction::Kind::Reply:
        send(response, action.reply);
        break;
    case MockAction::Kind::Reset:
        dropConnection(request, response, true);
        break;
    case MockAction::Kind::Close:
        dropConnection(request, response, false);
        break;
    }
}

} // namespace gp::mock
