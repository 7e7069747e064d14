#include "ErsRoutes.hpp"

#include "HttpReplies.hpp"
#include "RequestBodies.hpp"

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
const std::string kServiceSearch = "/v1/ers/services/search";
const std::string kCancelSuffix = "/cancel";

HTTPResponse::HTTPStatus statusFor(const Error& error) {
    if (error.where == "store") {
        return notStoredStatus(error);
    }
    if (error.where == "ers") {
        return HTTPResponse::HTTP_SERVICE_UNAVAILABLE;
    }
    if (error.where == "requestId") {
        return HTTPResponse::HTTP_NOT_FOUND;
    }
    if (error.where == "state") {
        return HTTPResponse::HTTP_CONFLICT;
    }
    return HTTPResponse::HTTP_BAD_REQUEST;
}

// An e-RS call made while the caller waited did not work (docs/ers.md, "Searching for
// services"): e-RS's verdict on the request's content is the caller's to see (422); throttling
// and outages are passed on as 503 with e-RS's Retry-After; no answer in time is 504; anything
// else is e-RS or the agent's set-up failing, 502.
void sendCallFailure(HTTPServerResponse& response, const ErsCallFailure& failure) {
    auto status = HTTPResponse::HTTP_BAD_GATEWAY;
    if (failure.httpStatus == 404 || failure.httpStatus == 422) {
        status = HTTPResponse::HTTP_UNPROCESSABLE_ENTITY;
    } else if (failure.httpStatus == 429 || failure.httpStatus == 503) {
        status = HTTPResponse::HTTP_SERVICE_UNAVAILABLE;
        if (!failure.retryAfter.empty()) {
            response.set("Retry-After", failure.retryAfter);
        }
    } else if (failure.httpStatus == 504 || failure.timedOut) {
        status = HTTPResponse::HTTP_GATEWAY_TIMEOUT;
    }
    Object::Ptr error = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    error->set("field", "ers");
    error->set("message", failure.text);
    error->set("code", failure.code);
    error->set("ersStatus", failure.httpStatus == 0 ? Poco::Dynamic::Var()
                                                    : Poco::Dynamic::Var(failure.httpStatus));
    Array::Ptr errors = new Array;
    errors->add(error);
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("errors", errors);
    sendJson(response, status, out);
}

// An optional string field: nothing when absent or null, an error when not a string.
std::optional<std::string> optionalString(const Object::Ptr& body, const std::string& name,
                                          std::vector<Error>& errors) {
    if (!body->has(name) || body->isNull(name)) {
        return std::nullopt;
    }
    const auto value = body->get(name);
    if (!value.isString()) {
        errors.push_back(failure(name, "must be a string"));
        return std::nullopt;
    }
    return value.extract<std::string>();
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
    if (path == kServiceSearch) {
        if (method != "POST") {
            return methodNotAllowed(response, "POST");
        }
        return search(request, response);
    }
    const std::string prefix = kReferrals + "/";
    if (path.rfind(prefix, 0) == 0 && path.size() > prefix.size() + kCancelSuffix.size() &&
        path.compare(path.size() - kCancelSuffix.size(), kCancelSuffix.size(), kCancelSuffix) ==
            0) {
        const std::string requestId =
            path.substr(prefix.size(), path.size() - prefix.size() - kCancelSuffix.size());
        if (requestId.find('/') == std::string::npos) {
            if (method != "POST") {
                return methodNotAllowed(response, "POST");
            }
            return cancel(requestId, request, response);
        }
    }
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
    if (auto errors = readErsReferralInput(body, input); !errors.empty()) {
        return sendErrors(response, HTTPResponse::HTTP_BAD_REQUEST, errors);
    }
    if (m_service == nullptr) {
        return sendErrors(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                          {failure("ers", "e-RS is not running in this agent")});
    }
    input.practice = m_practice.odsCode();
    auto accepted = m_service->refer(input, m_caller.actor());
    if (!accepted) {
        apiLogger().information("e-RS request refused: %s", accepted.error().where);
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
    if (!m_practice.shows(found->practice)) {
        return refusePractice(response, m_caller, m_practice.odsCodeOf(found->practice));
    }
    sendJson(response, HTTPResponse::HTTP_OK, requestView(*found, m_store.ersStepsOf(requestId)));
}

void ErsRoutes::search(HTTPServerRequest& request, HTTPServerResponse& response) {
    const auto body = readJsonObject(request, response, m_maxBodyBytes);
    if (!body) {
        return;
    }
    std::vector<Error> errors;
    ErsServiceQuery query;
    if (auto nhs = optionalString(body, "nhsNumber", errors)) {
        query.nhsNumber = *nhs;
    } else if (errors.empty()) {
        errors.push_back(failure("nhsNumber", "is required"));
    }
    if (auto specialty = optionalString(body, "specialty", errors)) {
        query.specialty = *specialty;
    }
    if (auto priority = optionalString(body, "priority", errors)) {
        query.priority = *priority;
    }
    if (!errors.empty()) {
        return sendErrors(response, HTTPResponse::HTTP_BAD_REQUEST, errors);
    }
    if (m_service == nullptr) {
        return sendErrors(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                          {failure("ers", "e-RS is not running in this agent")});
    }
    query.practice = m_practice.odsCode();
    auto found = m_service->searchServices(query);
    if (!found) {
        return sendErrors(response, statusFor(found.error()), {found.error()});
    }
    if (found->failure) {
        return sendCallFailure(response, *found->failure);
    }
    Array::Ptr services = new Array;
    for (const auto& service : found->services) {
        Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        item->set("id", service.id);
        item->set("name", service.name);
        services->add(item);
    }
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("services", services);
    sendJson(response, HTTPResponse::HTTP_OK, out);
}

void ErsRoutes::cancel(const std::string& requestId, HTTPServerRequest& request,
                       HTTPServerResponse& response) {
    const auto body = readJsonObject(request, response, m_maxBodyBytes);
    if (!body) {
        return;
    }
    std::vector<Error> errors;
    const std::string reason = optionalString(body, "reason", errors).value_or("");
    if (!errors.empty()) {
        return sendErrors(response, HTTPResponse::HTTP_BAD_REQUEST, errors);
    }
    if (m_service == nullptr) {
        return sendErrors(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                          {failure("ers", "e-RS is not running in this agent")});
    }
    if (const auto existing = m_store.findErsRequest(requestId);
        existing && !m_practice.shows(existing->practice)) {
        return refusePractice(response, m_caller, m_practice.odsCodeOf(existing->practice));
    }
    auto accepted = m_service->cancel(requestId, reason, m_caller.actor());
    if (!accepted) {
        apiLogger().information("e-RS cancel of %s refused: %s", requestId, accepted.error().where);
        return sendErrors(response, statusFor(accepted.error()), {accepted.error()});
    }
    if (accepted->failure) {
        return sendCallFailure(response, *accepted->failure);
    }
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("requestId", requestId);
    out->set("state", accepted->state);
    response.set("Location", kReferrals + "/" + requestId);
    sendJson(response, HTTPResponse::HTTP_ACCEPTED, out);
}

} // namespace gp::agent::api
