#include "ErsRoutes.hpp"

#include "HttpReplies.hpp"

#include <gp/agent/TimeFormat.hpp>
#include <gp/agent/ers/ErsService.hpp>
#include <gp/agent/store/Store.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <algorithm>

namespace gp::agent::api {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

const std::string kReferrals = "/v1/ers/referrals";

Poco::Logger& logger() {
    return Poco::Logger::get("gp-agent.api");
}

// Reads the body's fields into `input`; every field problem is collected so the caller hears
// them all at once.
std::vector<Error> readInput(const Object::Ptr& body, ErsReferralInput& input) {
    std::vector<Error> errors;
    auto text = [&](const std::string& name, bool required) -> std::optional<std::string> {
        if (!body->has(name) || body->isNull(name)) {
            if (required) {
                errors.push_back(failure(name, "is required"));
            }
            return std::nullopt;
        }
        const auto value = body->get(name);
        if (!value.isString()) {
            errors.push_back(failure(name, "must be a string"));
            return std::nullopt;
        }
        return value.extract<std::string>();
    };
    if (auto nhs = text("nhsNumber", true)) {
        input.nhsNumber = *nhs;
    }
    if (!body->has("serviceIds") || body->isNull("serviceIds")) {
        errors.push_back(failure("serviceIds", "is required"));
    } else if (const auto ids = body->getArray("serviceIds"); !ids) {
        errors.push_back(failure("serviceIds", "must be an array of service ids"));
    } else {
        for (std::size_t i = 0; i < ids->size(); ++i) {
            const auto value = ids->get(static_cast<unsigned>(i));
            if (!value.isString()) {
                errors.push_back(
                    failure("serviceIds[" + std::to_string(i) + "]", "must be a string of digits"));
                continue;
            }
            input.serviceIds.push_back(value.extract<std::string>());
        }
    }
    if (auto letter = text("letterFile", false)) {
        input.letterFile = *letter;
    }
    if (auto type = text("letterContentType", false)) {
        input.letterContentType = *type;
    }
    return errors;
}

HTTPResponse::HTTPStatus statusFor(const Error& error) {
    if (error.where == "ers" || error.where == "store") {
        return HTTPResponse::HTTP_SERVICE_UNAVAILABLE;
    }
    return HTTPResponse::HTTP_BAD_REQUEST;
}

Object::Ptr stepView(const ErsStepRecord& step) {
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("step", step.step);
    out->set("messageId", step.messageId);
    out->set("correlationId", step.correlationId);
    out->set("state", step.state);
    out->set("code", optionalText(step.code));
    out->set("text", optionalText(step.text));
    out->set("updatedAt", formatIsoTime(step.updatedAt));
    return out;
}

Object::Ptr requestView(const ErsRequest& request, const std::vector<ErsStepRecord>& steps) {
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("requestId", request.requestId);
    out->set("state", request.state);
    out->set("ubrn", optionalText(request.ubrn));
    out->set("serviceIds", [&] {
        Array::Ptr ids = new Array;
        for (const auto& id : request.serviceIds) {
            ids->add(id);
        }
        return ids;
    }());
    out->set("letter", !request.letterTitle.empty());
    out->set("letterAttached", request.state == "complete" && !request.binaryUrl.empty());
    out->set("errorCode", optionalText(request.errorCode));
    out->set("errorText", optionalText(request.errorText));
    out->set("createdAt", formatIsoTime(request.createdAt));
    out->set("updatedAt", formatIsoTime(request.updatedAt));
    Array::Ptr stepList = new Array;
    for (const auto& step : steps) {
        stepList->add(stepView(step));
    }
    out->set("steps", stepList);
    return out;
}

} // namespace

void ErsRoutes::handle(HTTPServerRequest& request, HTTPServerResponse& response) {
    const Poco::URI uri(request.getURI());
    const std::string path = uri.getPath();
    const std::string& method = request.getMethod();
    if (path == kReferrals) {
        if (method != "POST") {
            return methodNotAllowed(response, "POST");
        }
        return refer(request, response);
    }
    const std::string prefix = kReferrals + "/";
    if (path.rfind(prefix, 0) == 0 && path.size() > prefix.size() &&
        path.find('/', prefix.size()) == std::string::npos) {
        if (method != "GET") {
            return methodNotAllowed(response, "GET");
        }
        return show(path.substr(prefix.size()), response);
    }
    sendError(response, HTTPResponse::HTTP_NOT_FOUND, "no such resource: " + path);
}

void ErsRoutes::refer(HTTPServerRequest& request, HTTPServerResponse& response) {
    const auto body = readJsonObject(request, response, m_maxBodyBytes);
    if (!body) {
        return;
    }
    ErsReferralInput input;
    if (auto errors = readInput(body, input); !errors.empty()) {
        return sendErrors(response, HTTPResponse::HTTP_BAD_REQUEST, errors);
    }
    if (m_service == nullptr) {
        return sendErrors(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                          {failure("ers", "e-RS is not running in this agent")});
    }
    auto accepted = m_service->refer(input, "api");
    if (!accepted) {
        logger().information("e-RS request refused: %s", accepted.error().where);
        return sendErrors(response, statusFor(accepted.error()), {accepted.error()});
    }
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("requestId", *accepted);
    out->set("state", "creating");
    response.set("Location", kReferrals + "/" + *accepted);
    sendJson(response, HTTPResponse::HTTP_ACCEPTED, out);
}

void ErsRoutes::show(const std::string& requestId, HTTPServerResponse& response) {
    const auto found = m_store.findErsRequest(requestId);
    if (!found) {
        return sendErrors(response, HTTPResponse::HTTP_NOT_FOUND,
                          {failure("requestId", "no e-RS request " + requestId)});
    }
    sendJson(response, HTTPResponse::HTTP_OK, requestView(*found, m_store.ersStepsOf(requestId)));
}

} // namespace gp::agent::api
