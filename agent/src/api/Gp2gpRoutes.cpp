#include "Gp2gpRoutes.hpp"

#include "HttpReplies.hpp"
#include "JsonViews.hpp"

#include <gp/agent/TimeFormat.hpp>
#include <gp/agent/gp2gp/Gp2gpService.hpp>
#include <gp/agent/store/Store.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <algorithm>
#include <istream>
#include <optional>
#include <string>

namespace gp::agent::api {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

const std::string kPrefix = "/v1/gp2gp/";

void notRunning(HTTPServerResponse& response) {
    sendErrors(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
               {failure("gp2gp", "GP2GP is not running in this agent")});
}

Object::Ptr summaryView(const Conversation& conversation) {
    Object::Ptr out = new Object;
    out->set("conversationId", conversation.conversationId);
    out->set("role", conversation.role);
    out->set("state", conversation.state);
    out->set("localOds", conversation.localOds); // which of the agent's practices it is for
    out->set("remoteOds", conversation.remoteOds);
    out->set("partsExpected", conversation.partsExpected);
    out->set(conversation.role == "sender" ? "partsSent" : "partsReceived", conversation.partsDone);
    out->set("bytesExpected", static_cast<Poco::Int64>(conversation.bytesExpected));
    out->set("bytesDone", static_cast<Poco::Int64>(conversation.bytesDone));
    out->set("errorCode", optionalText(conversation.errorCode));
    out->set("errorText", optionalText(conversation.errorText));
    out->set("deadline", optionalTime(conversation.deadline));
    out->set("createdAt", formatIsoTime(conversation.createdAt));
    out->set("updatedAt", formatIsoTime(conversation.updatedAt));
    return out;
}

Object::Ptr partView(const ConversationPart& part) {
    Object::Ptr out = new Object;
    out->set("partId", part.partId);
    out->set("kind", part.kind);
    out->set("state", part.state);
    out->set("filename", part.filename);
    out->set("contentType", part.contentType);
    out->set("expectedBytes", static_cast<Poco::Int64>(part.expectedBytes));
    if (part.kind == "fragment") {
        out->set("parentPartId", part.parentPartId);
        out->set("sequence", part.sequence);
    }
    return out;
}

Object::Ptr historyRowView(const AuditRow& row) {
    Object::Ptr out = new Object;
    out->set("seq", static_cast<Poco::Int64>(row.seq));
    out->set("at", formatIsoTime(row.at));
    out->set("event", row.event);
    out->set("actor", row.actor);
    out->set("messageId", row.messageId);
    out->set("detail", row.detail);
    return out;
}

// The body as a JSON object, or a 400 naming what is wrong with it.
std::optional<std::string> textField(const Object::Ptr& object, const std::string& name,
                                     std::vector<Error>& errors) {
    if (!object->has(name) || object->isNull(name)) {
        errors.push_back(failure(name, "is required"));
        return std::nullopt;
    }
    const auto value = object->get(name);
    if (!value.isString()) {
        errors.push_back(failure(name, "must be a string"));
        return std::nullopt;
    }
    return value.extract<std::string>();
}

HTTPResponse::HTTPStatus statusFor(const Error& error) {
    if (error.where == "store") {
        return notStoredStatus(error);
    }
    if (error.where == "sds") {
        return HTTPResponse::HTTP_SERVICE_UNAVAILABLE;
    }
    if (error.where == "conversationId") {
        return HTTPResponse::HTTP_NOT_FOUND;
    }
    if (error.where == "state") {
        return HTTPResponse::HTTP_CONFLICT;
    }
    return HTTPResponse::HTTP_BAD_REQUEST;
}

} // namespace

void Gp2gpRoutes::handle(HTTPServerRequest& request, HTTPServerResponse& response) {
    const Poco::URI uri(request.getURI());
    const std::string path = uri.getPath();
    const std::string& method = request.getMethod();
    const std::string rest = path.substr(std::min(path.size(), kPrefix.size()));

    if (rest == "requests") {
        if (method != "POST") {
            return methodNotAllowed(response, "POST");
        }
        return requestRecord(request, response);
    }
    if (rest == "transfers") {
        if (method != "GET") {
            return methodNotAllowed(response, "GET");
        }
        return listTransfers(request, response);
    }
    const std::string transfers = "transfers/";
    if (rest.rfind(transfers, 0) == 0 && rest.size() > transfers.size()) {
        std::string id = rest.substr(transfers.size());
        const std::string ackSuffix = "/ack";
        if (id.size() > ackSuffix.size() &&
            id.compare(id.size() - ackSuffix.size(), ackSuffix.size(), ackSuffix) == 0) {
            id.resize(id.size() - ackSuffix.size());
            if (method != "POST") {
                return methodNotAllowed(response, "POST");
            }
            return acknowledge(id, request, response);
        }
        if (id.find('/') == std::string::npos) {
            if (method != "GET") {
                return methodNotAllowed(response, "GET");
            }
            return showTransfer(id, response);
        }
    }
    sendJson(response, HTTPResponse::HTTP_NOT_FOUND,
             toJson(singleErrorView("no such resource: " + path)));
}

void Gp2gpRoutes::requestRecord(HTTPServerRequest& request, HTTPServerResponse& response) {
    if (m_service == nullptr) {
        return notRunning(response);
    }
    auto object = readJsonObject(request, response, m_maxBodyBytes);
    if (!object) {
        return;
    }
    std::vector<Error> errors;
    const auto nhsNumber = textField(object, "nhsNumber", errors);
    const auto fromOds = textField(object, "fromOdsCode", errors);
    if (!errors.empty()) {
        return sendErrors(response, HTTPResponse::HTTP_BAD_REQUEST, errors);
    }
    // The practice asking: the one the request names, else the default (docs/multi-practice.md).
    const std::string requester = m_practice.practice != nullptr
                                      ? m_practice.practice->odsCode
                                      : m_service->practices().defaultPractice().odsCode;
    auto requested = m_service->requestRecord(requester, *nhsNumber, *fromOds, m_caller.actor());
    if (!requested) {
        const Error& error = requested.error();
        apiLogger().information("GP2GP request refused: " + error.where);
        return sendErrors(response, statusFor(error), {error});
    }
    Object::Ptr out = new Object;
    out->set("conversationId", *requested);
    out->set("state", "requested");
    response.set("Location", kPrefix + "transfers/" + *requested);
    sendJson(response, HTTPResponse::HTTP_ACCEPTED, toJson(out));
}

void Gp2gpRoutes::listTransfers(HTTPServerRequest& request, HTTPServerResponse& response) {
    const Poco::URI uri(request.getURI());
    std::string state;
    int limit = 100;
    for (const auto& [name, value] : uri.getQueryParameters()) {
        if (name == "state") {
            state = value;
        } else if (name == "limit") {
            const auto size = parsePageSize(response, name, value);
            if (!size) {
                return;
            }
            limit = *size;
        }
    }
    Array::Ptr list = new Array;
    for (const auto& conversation : m_store.listConversations(state, limit)) {
        list->add(summaryView(conversation));
    }
    Object::Ptr out = new Object;
    out->set("transfers", list);
    sendJson(response, HTTPResponse::HTTP_OK, toJson(out));
}

void Gp2gpRoutes::showTransfer(const std::string& conversationId, HTTPServerResponse& response) {
    const auto conversation = m_store.findConversation(conversationId);
    if (!conversation) {
        return sendJson(response, HTTPResponse::HTTP_NOT_FOUND,
                        toJson(singleErrorView("no transfer with id " + conversationId)));
    }
    Object::Ptr out = summaryView(*conversation);
    // The clinical system asked by NHS number and matches the record by it; it is shown here,
    // to the holder of the API token, and never logged.
    out->set("nhsNumber", conversation->nhsNumber);
    out->set("requestMessageId", optionalText(conversation->requestMessageId));
    out->set("extractMessageId", optionalText(conversation->extractMessageId));
    Array::Ptr parts = new Array;
    for (const auto& part : m_store.partsOf(conversationId)) {
        parts->add(partView(part));
    }
    out->set("parts", parts);

    // The transfer's own audit rows are keyed by its ConversationId; its messages' by their ids.
    std::vector<AuditRow> rows = m_store.auditForMessage(conversationId);
    for (const auto& message : m_store.messagesOf(conversationId)) {
        auto more = m_store.auditForMessage(message.messageId);
        rows.insert(rows.end(), more.begin(), more.end());
    }
    std::sort(rows.begin(), rows.end(),
              [](const AuditRow& a, const AuditRow& b) { return a.seq < b.seq; });
    rows.erase(std::unique(rows.begin(), rows.end(),
                           [](const AuditRow& a, const AuditRow& b) { return a.seq == b.seq; }),
               rows.end());
    Array::Ptr history = new Array;
    for (const auto& row : rows) {
        history->add(historyRowView(row));
    }
    out->set("history", history);
    sendJson(response, HTTPResponse::HTTP_OK, toJson(out));
}

void Gp2gpRoutes::acknowledge(const std::string& conversationId, HTTPServerRequest& request,
                              HTTPServerResponse& response) {
    if (m_service == nullptr) {
        return notRunning(response);
    }
    auto object = readJsonObject(request, response, m_maxBodyBytes);
    if (!object) {
        return;
    }
    bool accepted = false;
    std::string reasonCode;
    if (object->has("accepted") && !object->isNull("accepted")) {
        const auto value = object->get("accepted");
        if (!value.isBoolean()) {
            return sendErrors(response, HTTPResponse::HTTP_BAD_REQUEST,
                              {failure("accepted", "must be true or false")});
        }
        accepted = value.convert<bool>();
    }
    if (!accepted) {
        std::vector<Error> errors;
        auto code = textField(object, "reasonCode", errors);
        if (!errors.empty()) {
            errors.front().message += " unless \"accepted\" is true";
            return sendErrors(response, HTTPResponse::HTTP_BAD_REQUEST, errors);
        }
        reasonCode = *code;
    }
    auto done = m_service->acknowledge(conversationId, accepted, reasonCode, m_caller.actor());
    if (!done) {
        return sendErrors(response, statusFor(done.error()), {done.error()});
    }
    const auto conversation = m_store.findConversation(conversationId);
    Object::Ptr out = new Object;
    out->set("conversationId", conversationId);
    out->set("state", conversation ? conversation->state : std::string());
    sendJson(response, HTTPResponse::HTTP_ACCEPTED, toJson(out));
}

} // namespace gp::agent::api
