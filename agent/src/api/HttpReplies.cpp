#include "HttpReplies.hpp"

#include "JsonViews.hpp"
#include "RequestBodies.hpp"

#include <gp/agent/TimeFormat.hpp>
#include <gp/agent/store/Store.hpp>

#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/NumberParser.h>

#include <istream>

namespace gp::agent::api {

using Poco::Net::HTTPResponse;

Poco::Logger& apiLogger() {
    // Looked up once: Poco::Logger::get takes a process-wide mutex, and every request logs.
    static Poco::Logger& logger = Poco::Logger::get("gp-agent.api");
    return logger;
}

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

HTTPResponse::HTTPStatus notStoredStatus(const Error& error) {
    return storageFaultOf(error) == StorageFault::Full ? HTTPResponse::HTTP_INSUFFICIENT_STORAGE
                                                       : HTTPResponse::HTTP_SERVICE_UNAVAILABLE;
}

void sendNotStored(Poco::Net::HTTPServerResponse& response, const Error& error) {
    std::string reason = "not stored: ";
    if (const auto fault = storageFaultOf(error)) {
        reason += *fault == StorageFault::Full ? "the agent's store is out of disk space"
                                               : "the agent's store cannot write to its disk";
        reason += "; try again later (" + error.describe() + ")";
    } else {
        reason += error.describe();
    }
    sendErrors(response, notStoredStatus(error), {failure("store", reason)});
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
    if (auto object = parseJsonObject(*body)) {
        return object;
    }
    sendErrors(response, HTTPResponse::HTTP_BAD_REQUEST,
               {failure("body", "must be a JSON object")});
    return nullptr;
}

std::optional<int> parsePageSize(Poco::Net::HTTPServerResponse& response, const std::string& name,
                                 const std::string& value) {
    int size = 0;
    if (!Poco::NumberParser::tryParse(value, size) || size < 1 || size > kMaxPageSize) {
        sendErrors(
            response, HTTPResponse::HTTP_BAD_REQUEST,
            {failure(name, "must be a whole number from 1 to " + std::to_string(kMaxPageSize))});
        return std::nullopt;
    }
    return size;
}

Poco::Dynamic::Var optionalTime(const std::optional<TimePoint>& time) {
    return time ? Poco::Dynamic::Var(formatIsoTime(*time)) : Poco::Dynamic::Var();
}

Poco::Dynamic::Var optionalText(const std::string& text) {
    return text.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(text);
}

} // namespace gp::agent::api
