#include "../transport/QuietHttpServer.hpp"
#include "../transport/TlsServerContext.hpp"
#include "Authorisation.hpp"
#include "EpsRoutes.hpp"
#include "ErsRoutes.hpp"
#include "Gp2gpRoutes.hpp"
#include "HttpReplies.hpp"
#include "JsonViews.hpp"
#include "OperationsRoutes.hpp"
#include "PracticeSelection.hpp"
#include "RequestGate.hpp"
#include "StatusPage.hpp"

#include <gp/agent/api/ApiTokens.hpp>
#include <gp/agent/api/LocalApi.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/NumberParser.h>
#include <Poco/URI.h>

#include <istream>

namespace gp::agent {

namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

using api::apiLogger;
using api::methodNotAllowed;
using api::sendError;
using api::sendJson;

class ApiRequestHandler final : public Poco::Net::HTTPRequestHandler {
public:
    ApiRequestHandler(LocalApi::Dependencies& deps, const LocalApiSettings& settings,
                      api::TokenRegistry& tokens)
        : m_deps(deps), m_settings(settings), m_tokens(tokens) {}

    void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
        // Poco writes a response's header and body separately; without TCP_NODELAY the body
        // waits for the client's delayed ACK (about 40 ms) on every kept-alive exchange.
        if (auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request)) {
            impl->socket().setNoDelay(true);
        }
        try {
            route(request, response);
        } catch (const std::exception& e) {
            apiLogger().error("request %s %s failed: %s", request.getMethod(), request.getURI(),
                              std::string(e.what()));
            if (!response.sent()) {
                sendError(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR,
                          "internal error; see the agent's log");
            }
        }
    }

private:
    // The one place requests are dispatched: every route of the local API is listed here.
    void route(HTTPServerRequest& request, HTTPServerResponse& response) {
        // /practices/{ods}/v1/... is routed as /v1/... for that practice (selectPractice below).
        const std::optional<std::string> practiceInPath = api::takePracticePrefix(request);
        const Poco::URI uri(request.getURI());
        const std::string path = uri.getPath();
        const std::string& method = request.getMethod();

        if (!api::withinLimits(request, response, m_settings.maxBodyBytes)) {
            return;
        }
        // The only requests answered without a token (api::isPublic); nothing here reads the
        // store.
        if (api::isPublic(method, path)) {
            if (path == "/healthz") {
                sendJson(response, HTTPResponse::HTTP_OK, R"({"status":"ok"})");
                return;
            }
            if (api::serveStatusPage(method, path, response)) {
                return;
            }
            sendError(response, HTTPResponse::HTTP_NOT_FOUND, "no such resource: " + path);
            return;
        }
        // From here on every request has a caller whose scope allows it (api::requiredScope),
        // and every audit row written for it names that caller.
        const auto admitted = api::admit(request, response, m_tokens);
        if (!admitted) {
            return;
        }
        const api::Caller& caller = *admitted;
        // Every route below acts for this practice and shows only what the caller may see.
        const auto selected =
            api::selectPractice(request, response, m_deps.practices, practiceInPath, caller);
        if (!selected) {
            return;
        }
        const api::RequestPractice& practice = *selected;
        if (path == "/v1/eps/prescriptions") {
            if (method != "POST") {
                return methodNotAllowed(response, "POST");
            }
            return submitPrescription(request, response, caller, practice);
        }
        if (path.rfind("/v1/eps/", 0) == 0 &&
            api::EpsRoutes(m_deps.epsCancellations, m_deps.store, m_settings.maxBodyBytes,
                           m_deps.workArrived, caller, practice)
                .handle(request, response)) {
            return;
        }
        if (path.rfind("/v1/ers/", 0) == 0) {
            return api::ErsRoutes(m_deps.ers, m_deps.store, m_settings.maxBodyBytes, caller,
                                  practice)
                .handle(request, response);
        }
        if (api::OperationsRoutes::handles(path)) {
            return api::OperationsRoutes(m_deps.store, m_settings.maxBodyBytes, m_deps.workArrived,
                                         practice)
                .handle(request, response, caller);
        }
        const std::string messagesPrefix = "/v1/messages/";
        if (path.rfind(messagesPrefix, 0) == 0 && path.size() > messagesPrefix.size()) {
            if (method != "GET") {
                return methodNotAllowed(response, "GET");
            }
            return showMessage(path.substr(messagesPrefix.size()), response, caller, practice);
        }
        if (path.rfind("/v1/gp2gp/", 0) == 0) {
            return api::Gp2gpRoutes(m_deps.gp2gp, m_deps.store, m_settings.maxBodyBytes, caller,
                                    practice)
                .handle(request, response);
        }
        if (path == "/v1/status") {
            if (method != "GET") {
                return methodNotAllowed(response, "GET");
            }
            return showStatus(response, caller, practice);
        }
        if (path == "/v1/audit") {
            if (method != "GET") {
                return methodNotAllowed(response, "GET");
            }
            return listAudit(uri, response);
        }
        sendError(response, HTTPResponse::HTTP_NOT_FOUND, "no such resource: " + path);
    }

    void submitPrescription(HTTPServerRequest& request, HTTPServerResponse& response,
                            const api::Caller& caller, const api::RequestPractice& practice) {
        auto body = api::readBody(request, response, m_settings.maxBodyBytes);
        if (!body) {
            return;
        }
        auto result = practice.practice == nullptr
                          ? m_deps.eps.submit(*body, caller.actor())
                          : m_deps.eps.submit(*body, caller.actor(), *practice.practice);
        switch (result.kind) {
        case SubmissionResult::Kind::Invalid:
            apiLogger().information("EPS submission refused: %z field error(s)",
                                    result.errors.size());
            sendJson(response, HTTPResponse::HTTP_BAD_REQUEST,
                     api::toJson(api::errorsView(result.errors)));
            return;
        case SubmissionResult::Kind::NotStored:
            apiLogger().error("EPS submission not stored: %s", result.errors.front().describe());
            api::sendNotStored(response, result.errors.front());
            return;
        case SubmissionResult::Kind::Accepted:
            break;
        }
        if (apiLogger().information()) { // Poco formats the line before it checks the level
            apiLogger().information("accepted EPS message %s (prescription %s)", result.messageId,
                                    result.prescriptionId);
        }
        if (m_deps.workArrived) {
            m_deps.workArrived();
        }
        Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
        out->set("messageId", result.messageId);
        out->set("prescriptionId", result.prescriptionId);
        out->set("state", "queued");
        Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
        for (const std::string& itemId : result.itemIds) {
            Poco::JSON::Object::Ptr item = new Poco::JSON::Object;
            item->set("lineItemId", itemId);
            items->add(item);
        }
        out->set("items", items); // what a later cancellation names
        response.set("Location", "/v1/messages/" + result.messageId);
        sendJson(response, HTTPResponse::HTTP_ACCEPTED, api::toJson(out));
    }

    void showMessage(const std::string& messageId, HTTPServerResponse& response,
                     const api::Caller& caller, const api::RequestPractice& practice) {
        auto message = m_deps.store.findMessage(messageId);
        if (!message) {
            sendError(response, HTTPResponse::HTTP_NOT_FOUND, "no message with id " + messageId);
            return;
        }
        if (!practice.shows(message->practice)) {
            return api::refusePractice(response, caller, practice.odsCodeOf(message->practice));
        }
        sendJson(response, HTTPResponse::HTTP_OK,
                 api::toJson(api::messageView(*message, m_deps.store.auditForMessage(messageId))));
    }

    void showStatus(HTTPServerResponse& response, const api::Caller& caller,
                    const api::RequestPractice& practice) {
        StatusSummary summary = m_deps.store.status();
        if (!practice.shown.empty()) {
            // A token for some practices, or a request naming one, counts only their messages;
            // the rest of the summary (sending, storage, transfers) is the agent's.
            for (auto& [state, count] : summary.counts) {
                count = 0;
                for (const auto& [stored, counts] : summary.countsByPractice) {
                    if (const auto found = counts.find(state);
                        found != counts.end() && practice.shows(stored)) {
                        count += found->second;
                    }
                }
            }
        }
        auto status = api::statusView(summary, m_deps.clock.now());
        // Who is asking and what their token allows, so the tray and the status page can offer
        // only the actions that will be accepted.
        Poco::JSON::Object::Ptr who = new Poco::JSON::Object;
        who->set("name", caller.name);
        who->set("scope", std::string(api::toString(caller.scope)));
        Poco::JSON::Array::Ptr scoped = new Poco::JSON::Array;
        for (const std::string& code : caller.practices) {
            scoped->add(code);
        }
        who->set("practices",
                 caller.practices.empty() ? Poco::Dynamic::Var("all") : Poco::Dynamic::Var(scoped));
        status->set("caller", who);
        status->set("practice", practice.odsCode());
        // Which engine keeps the state and, in a fleet sharing PostgreSQL, which instance this
        // is and whether it runs the workflows just now.
        Poco::JSON::Object::Ptr store = new Poco::JSON::Object;
        store->set("engine", m_settings.storeEngine);
        store->set("instance", m_settings.storeInstance.empty()
                                   ? Poco::Dynamic::Var()
                                   : Poco::Dynamic::Var(m_settings.storeInstance));
        store->set("leadsWorkflows", m_deps.store.leadsWorkflows());
        status->set("store", store);
        sendJson(response, HTTPResponse::HTTP_OK, api::toJson(status));
    }

    void listAudit(const Poco::URI& uri, HTTPServerResponse& response) {
        Poco::Int64 after = 0;
        int limit = 100;
        int latest = 0;
        for (const auto& [name, value] : uri.getQueryParameters()) {
            if (name == "after" && (!Poco::NumberParser::tryParse64(value, after) || after < 0)) {
                sendJson(response, HTTPResponse::HTTP_BAD_REQUEST,
                         api::toJson(api::errorsView(
                             {failure("after", "must be a non-negative whole number")})));
                return;
            }
            if (name == "limit" || name == "latest") {
                const auto size = api::parsePageSize(response, name, value);
                if (!size) {
                    return;
                }
                if (name == "limit") {
                    limit = *size;
                } else {
                    latest = *size;
                }
            }
        }
        // latest=N: the newest N rows (the status page), oldest first like every page.
        sendJson(response, HTTPResponse::HTTP_OK,
                 api::toJson(api::auditView(latest > 0 ? m_deps.store.latestAudit(latest)
                                                       : m_deps.store.auditAfter(after, limit))));
    }

    LocalApi::Dependencies& m_deps;
    const LocalApiSettings& m_settings;
    api::TokenRegistry& m_tokens;
};

class ApiHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    ApiHandlerFactory(LocalApi::Dependencies& deps, const LocalApiSettings& settings,
                      api::TokenRegistry& tokens)
        : m_deps(deps), m_settings(settings), m_tokens(tokens) {}

    Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
        return new ApiRequestHandler(m_deps, m_settings, m_tokens);
    }

private:
    LocalApi::Dependencies& m_deps;
    const LocalApiSettings& m_settings;
    api::TokenRegistry& m_tokens;
};

} // namespace

// Which named tokens may act is itself audited: the tokens the agent starts with, and every
// token added, revoked or replaced while it runs.
LocalApi::LocalApi(Dependencies dependencies, LocalApiSettings settings)
    : m_deps(std::move(dependencies)), m_settings(std::move(settings)),
      m_tokens(std::make_unique<api::TokenRegistry>(
          m_settings.token, m_settings.tokensFile,
          [&store = m_deps.store](const std::string& event, const std::string& detail) {
              if (auto recorded = store.recordAuditEvent({"tokens-file", event, "", detail});
                  !recorded) {
                  apiLogger().error("could not audit %s: %s", event, recorded.error().describe());
              }
          })) {}

LocalApi::~LocalApi() {
    stop();
}

void LocalApi::start() {
    Poco::Net::ServerSocket socket = listenOn(m_settings.bind, m_settings.port, m_settings.tls);
    m_port = socket.address().port();
    m_tokens->refresh();
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(m_settings.threads);
    params->setKeepAlive(true);
    m_server = std::make_unique<QuietHttpServer>(
        new ApiHandlerFactory(m_deps, m_settings, *m_tokens), socket, params, "api");
    m_server->start();
}

void LocalApi::stop() {
    if (m_server) {
        m_server->stop();
        m_server.reset();
    }
}

int LocalApi::port() const {
    return m_port;
}

} // namespace gp::agent
