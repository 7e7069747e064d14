#include "MhsFront.hpp"

#include "../api/HttpReplies.hpp"
#include "../eps/EpsOutbound.hpp"
#include "../transport/QuietHttpServer.hpp"
#include "../transport/TlsServerContext.hpp"
#include "MhsRequest.hpp"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include <algorithm>
#include <exception>
#include <istream>
#include <optional>
#include <string>
#include <variant>

namespace gp::agent::mhs {

struct MhsFront::Context {
    Dependencies deps;
    Settings settings;
};

namespace {

using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

/// The sending practice's ODS code (the same header as the local API's).
constexpr const char* kPracticeHeader = "X-Practice-ODS";

Poco::Logger& logger() {
    // Looked up once: Poco::Logger::get takes a process-wide mutex.
    static Poco::Logger& mhsLogger = Poco::Logger::get("gp-agent.mhs");
    return mhsLogger;
}

void answer(HTTPServerResponse& response, int status, const std::string& text) {
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    response.setContentType("text/plain; charset=utf-8");
    response.setContentLength(static_cast<std::streamsize>(text.size()));
    response.send() << text;
}

std::optional<std::string> header(const HTTPServerRequest& request, const std::string& name) {
    if (!request.has(name)) {
        return std::nullopt;
    }
    return request.get(name);
}

/// At most `limit` + 1 bytes of the body: one more than allowed tells the caller it is too big.
std::string readBody(std::istream& in, std::size_t limit) {
    std::string body;
    char buffer[16384];
    while (body.size() <= limit) {
        in.read(buffer, sizeof buffer);
        const std::streamsize got = in.gcount();
        if (got <= 0) {
            break;
        }
        body.append(buffer, static_cast<std::size_t>(got));
    }
    return body;
}

class MhsHandler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit MhsHandler(MhsFront::Context& context) : m_context(context) {}

    void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
        try {
            route(request, response);
        } catch (const std::exception& e) {
            logger().error("MHS front request failed: %s", std::string(e.what()));
            if (!response.sent()) {
                answer(response, 500, "gp-agent could not take the message; send it again");
            }
        }
    }

private:
    void route(HTTPServerRequest& request, HTTPServerResponse& response) {
        const std::string path = request.getURI().substr(0, request.getURI().find('?'));
        if (path == "/healthcheck" && request.getMethod() == "GET") {
            answer(response, 200, "");
            return;
        }
        if (path != "/") {
            answer(response, 404, "the MHS front takes POST / only");
            return;
        }
        if (request.getMethod() != "POST") {
            response.set("Allow", "POST");
            answer(response, 405, "the MHS front takes POST / only");
            return;
        }
        const std::string body = readBody(request.stream(), m_context.settings.maxBodyBytes);
        if (body.size() > m_context.settings.maxBodyBytes) {
            answer(response, 413,
                   "body is larger than " + std::to_string(m_context.settings.maxBodyBytes) +
                       " bytes");
            return;
        }
        const MhsHeaders headers{
            header(request, "Interaction-Id"), header(request, "wait-for-response"),
            header(request, "Message-Id"),     header(request, "Correlation-Id"),
            header(request, "from-asid"),      header(request, "ods-code")};
        auto read = readMhsRequest(headers, body, m_context.deps.random);
        if (auto* rejected = std::get_if<MhsRejection>(&read)) {
            answer(response, rejected->status, rejected->message);
            return;
        }
        EpsRouting routing = m_context.deps.routing;
        if (const auto named = header(request, kPracticeHeader)) {
            const PracticeDirectory* practices = m_context.deps.practices;
            const Practice* practice =
                practices == nullptr ? nullptr : practices->byOdsCode(*named);
            if (practice == nullptr) {
                answer(response, 400,
                       "header " + std::string(kPracticeHeader) +
                           ": gp-agent does not act for "
                           "practice " +
                           *named);
                return;
            }
            routing = routing.forPractice(*practice);
        }
        queue(std::get<MhsRequest>(std::move(read)), routing, response);
    }

    void queue(MhsRequest request, const EpsRouting& routing, HTTPServerResponse& response) {
        auto& deps = m_context.deps;
        // A Message-Id already in the outbox was accepted before: never a second copy.
        if (deps.store.findMessage(request.messageId)) {
            answer(response, 409,
                   "header Message-Id: " + request.messageId + " was accepted before");
            return;
        }
        const TimePoint now = deps.clock.now();
        const OutboundMessage outbound =
            epsOutbound(routing,
                        {request.interaction->interactionId, request.messageId,
                         request.correlationId, request.correlationId, now},
                        std::move(request.payload));
        const AuditEvent event{"mhs-front", "accepted", request.messageId,
                               std::string(request.interaction->description) +
                                   " through the MHS front, Correlation-Id " +
                                   request.correlationId + ", practice " + routing.practiceOdsCode};
        if (auto stored = deps.store.enqueue(outbound, event); !stored) {
            // Two requests with one Message-Id at once: the store keeps the first.
            if (deps.store.findMessage(request.messageId)) {
                answer(response, 409,
                       "header Message-Id: " + request.messageId + " was accepted before");
                return;
            }
            logger().error("MHS front could not store %s: %s", request.messageId,
                           stored.error().describe());
            // 507 for a full disk, 503 otherwise: the same mapping as the local API's.
            answer(response, api::notStoredStatus(stored.error()),
                   "gp-agent could not store the message; send it again later");
            return;
        }
        if (logger().information()) { // Poco formats the line before it checks the level
            logger().information("MHS front queued %s %s", std::string(outbound.interaction),
                                 request.messageId);
        }
        if (deps.workArrived) {
            deps.workArrived();
        }
        response.set("Message-Id", request.messageId);
        response.set("Correlation-Id", request.correlationId);
        answer(response, 202, "");
    }

    MhsFront::Context& m_context;
};

class MhsFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit MhsFactory(MhsFront::Context& context) : m_context(context) {}

    Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
        return new MhsHandler(m_context);
    }

private:
    MhsFront::Context& m_context;
};

} // namespace

MhsFront::MhsFront(Dependencies dependencies, Settings settings)
    : m_context(new Context{std::move(dependencies), std::move(settings)}) {}

MhsFront::~MhsFront() {
    stop();
}

void MhsFront::start() {
    // Plain HTTP: the settings allow a loopback address only (TransportSecurity.cpp).
    Poco::Net::ServerSocket socket =
        listenOn(m_context->settings.bind, m_context->settings.port, ServerTlsSettings{});
    m_port = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(std::max(1, m_context->settings.threads));
    m_server = std::make_unique<QuietHttpServer>(new MhsFactory(*m_context), socket, params, "mhs");
    m_server->start();
}

void MhsFront::stop() {
    if (m_server) {
        m_server->stop();
        m_server.reset();
    }
}

} // namespace gp::agent::mhs
