#include "HttpReplies.hpp"

#include "JsonViews.hpp"

#include <gp/agent/TimeFormat.hpp>

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <istream>

namespace gp::agent::api {

using Poco::Net::HTTPResponse;

void sendJson(Poco::Net::HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
              const std::string& body) {
    response.setStatus(status);
    response.setContentType("application/json");
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.set("Cache-Control", "no-store");
    response.send() << body;
}

void sendJson(Poco::Net::HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
              const Poco::JSON::Object::Ptr& body) {
    sendJson(response, status, toJson(body));
}

void sendErrors(Poco::Net::HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
                const std::vector<Error>& errors) {
    sendJson(response, status, errorsView(errors));
}

void sendError(Poco::Net::HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
               const std::string& message) {
    sendJson(response, status, singleErrorView(message));
}

void methodNotAllowed(Poco::Net::HTTPServerResponse& response, const std::string& allowed) {
    response.set("Allow", allowed);
    sendError(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "use " + allowed);
}

std::optional<std::string> readBody(Poco::Net::HTTPServerRequest& request,
                                    Poco::Net::HTTPServerResponse& response, std::size_t maxBytes) {
    const auto tooLarge = [&] {
        sendError(response, HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE,
                  "body larger than " + std::to_string(maxBytes) + " bytes");
    };
    // Refused before reading when the sender says how much is coming.
    if (request.hasContentLength() &&
        request.getContentLength64() > static_cast<Poco::Int64>(maxBytes)) {
        tooLarge();
        return std::nullopt;
    }
    std::string body;
    std::istream& in = request.stream();
    char buffer[8192];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        body.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (body.size() > maxBytes) {
            tooLarge();
            return std::nullopt;
        }
    }
    return body;
}

Poco::JSON::Object::Ptr readJsonObject(Poco::Net::HTTPServerRequest& request,
                                       Poco::Net::HTTPServerResponse& response,
                                       std::size_t maxBytes) {
    auto body = readBody(request, response, maxBytes);
    if (!body) {
        return nullptr;
    }
    try {
        Poco::JSON::Parser parser;
        auto object = parser.parse(body->empty() ? "{}" : *body).extract<Poco::JSON::Object::Ptr>();
        if (object) {
            return object;
        }
    } catch (const std::exception&) {
        // Answered below: whatever the parser disliked, the caller needs the same 400.
    }
    sendErrors(response, HTTPResponse::HTTP_BAD_REQUEST,
               {failure("body", "must be a JSON object")});
    return nullptr;
}

Poco::Dynamic::Var optionalTime(const std::optional<TimePoint>& time) {
    return time ? Poco::Dynamic::Var(formatIsoTime(*time)) : Poco::Dynamic::Var();
}

Poco::Dynamic::Var optionalText(const std::string& text) {
    return text.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(text);
}

} // namespace gp::agent::api
