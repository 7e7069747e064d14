#include "RequestGate.hpp"

#include "Authorisation.hpp"
#include "HttpReplies.hpp"

#include <gp/agent/api/ApiTokens.hpp>

#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

namespace gp::agent::api {

namespace {

using Poco::Net::HTTPResponse;

// What gp-agentctl sends is a Unix user name; anything else is dropped rather than trusted into
// an audit row.
std::string operatorNameFrom(const Poco::Net::HTTPServerRequest& request) {
    const std::string name = request.get(kOperatorHeader, "");
    if (name.size() > 32) {
        return "";
    }
    for (const char c : name) {
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                             (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!allowed) {
            return "";
        }
    }
    return name;
}

} // namespace

bool withinLimits(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                  std::size_t maxBodyBytes) {
    if (request.getURI().size() > kMaxUriBytes) {
        sendError(response, HTTPResponse::HTTP_REQUEST_URI_TOO_LONG,
                  "request target longer than " + std::to_string(kMaxUriBytes) + " bytes");
        return false;
    }
    std::size_t headerBytes = 0;
    for (const auto& [name, value] : request) {
        headerBytes += name.size() + value.size() + 4; // ": " and CRLF
    }
    if (headerBytes > kMaxHeaderBytes) {
        sendError(response, HTTPResponse::HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE,
                  "headers larger than " + std::to_string(kMaxHeaderBytes) + " bytes");
        return false;
    }
    if (request.hasContentLength() &&
        request.getContentLength64() > static_cast<Poco::Int64>(maxBodyBytes)) {
        sendError(response, HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE,
                  "body larger than " + std::to_string(maxBodyBytes) + " bytes");
        return false;
    }
    return true;
}

std::optional<Caller> admit(Poco::Net::HTTPServerRequest& request,
                            Poco::Net::HTTPServerResponse& response, TokenRegistry& tokens) {
    const std::string header = request.get("Authorization", "");
    const std::string scheme = "Bearer ";
    std::optional<Caller> caller;
    if (header.rfind(scheme, 0) == 0) {
        caller = tokens.resolve(std::string_view(header).substr(scheme.size()));
    }
    if (!caller) {
        apiLogger().information("refused %s %s: %s", request.getMethod(),
                                Poco::URI(request.getURI()).getPath(),
                                std::string(header.empty() ? "no token" : "unknown token"));
        response.set("WWW-Authenticate", "Bearer");
        sendError(response, HTTPResponse::HTTP_UNAUTHORIZED,
                  "missing or unknown bearer token; send Authorization: Bearer <token> with the "
                  "token from the agent's api.tokenFile or one made by gp-agentctl token add");
        return std::nullopt;
    }
    const std::string path = Poco::URI(request.getURI()).getPath();
    const Scope needed = requiredScope(request.getMethod(), path);
    if (!caller->may(needed)) {
        apiLogger().information(
            "refused %s %s to token %s: needs scope %s, it has %s", request.getMethod(), path,
            caller->name, std::string(toString(needed)), std::string(toString(caller->scope)));
        sendError(response, HTTPResponse::HTTP_FORBIDDEN,
                  "this needs a token with scope " + std::string(toString(needed)) + "; token " +
                      caller->name + " has scope " + std::string(toString(caller->scope)));
        return std::nullopt;
    }
    caller->operatorName = operatorNameFrom(request);
    return caller;
}

} // namespace gp::agent::api
