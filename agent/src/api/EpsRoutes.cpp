#include "EpsRoutes.hpp"

#include "HttpReplies.hpp"

#include <gp/agent/TimeFormat.hpp>
#include <gp/agent/eps/EpsCancellations.hpp>
#include <gp/agent/store/Store.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

namespace gp::agent::api {

namespace {

using Poco::Net::HTTPResponse;

constexpr std::string_view kCancellationsPath = "/v1/eps/cancellations";
constexpr std::string_view kPrescriptionsPrefix = "/v1/eps/prescriptions/";

} // namespace

bool EpsRoutes::handle(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) {
    const std::string path = Poco::URI(request.getURI()).getPath();
    const std::string& method = request.getMethod();
    if (path == kCancellationsPath) {
        if (method != "POST") {
            methodNotAllowed(response, "POST");
            return true;
        }
        cancel(request, response);
        return true;
    }
    if (path.rfind(kPrescriptionsPrefix, 0) == 0 && path.size() > kPrescriptionsPrefix.size() &&
        path.find('/', kPrescriptionsPrefix.size()) == std::string::npos) {
        if (method != "GET") {
            methodNotAllowed(response, "GET");
            return true;
        }
        showPrescription(path.substr(kPrescriptionsPrefix.size()), response);
        return true;
    }
    return false;
}

void EpsRoutes::cancel(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) {
    if (m_cancellations == nullptr) {
        sendErrors(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                   {failure("eps", "EPS cancellation is not running in this agent")});
        return;
    }
    auto body = readBody(request, response, m_maxBodyBytes);
    if (!body) {
        return;
    }
    const CancellationResult result =
        m_practice.practice == nullptr
            ? m_cancellations->cancel(*body, m_caller.actor())
            : m_cancellations->cancel(*body, m_caller.actor(), *m_practice.practice);
    switch (result.kind) {
    case CancellationResult::Kind::Invalid:
        apiLogger().information("EPS cancellation refused: %z field error(s)",
                                result.errors.size());
        sendErrors(response, HTTPResponse::HTTP_BAD_REQUEST, result.errors);
        return;
    case CancellationResult::Kind::NotStored:
        apiLogger().error("EPS cancellation not stored: %s", result.errors.front().describe());
        sendNotStored(response, result.errors.front());
        return;
    case CancellationResult::Kind::Accepted:
        break;
    }
    if (apiLogger().information()) { // Poco formats the line before it checks the level
        apiLogger().information("accepted EPS cancellation %s (prescription %s, item %s)",
                                result.messageId, result.prescriptionId, result.lineItemId);
    }
    if (m_workArrived) {
        m_workArrived();
    }
    Poco::JSON::Object::Ptr out = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("messageId", result.messageId);
    out->set("prescriptionId", result.prescriptionId);
    out->set("lineItemId", result.lineItemId);
    out->set("state", "queued");
    response.set("Location", "/v1/messages/" + result.messageId);
    sendJson(response, HTTPResponse::HTTP_ACCEPTED, out);
}

void EpsRoutes::showPrescription(const std::string& prescriptionId,
                                 Poco::Net::HTTPServerResponse& response) {
    const auto items = m_store.itemsOf(prescriptionId);
    const auto messages = m_store.epsMessagesOf(prescriptionId);
    if (items.empty() && messages.empty()) {
        sendError(response, HTTPResponse::HTTP_NOT_FOUND,
                  "no prescription " + prescriptionId + " sent or cancelled from this agent");
        return;
    }
    for (const MessageRecord& message : messages) {
        if (!m_practice.shows(message.practice)) {
            return refusePractice(response, m_caller, m_practice.odsCodeOf(message.practice));
        }
    }
    Poco::JSON::Array::Ptr itemList = new Poco::JSON::Array;
    for (const EpsItem& item : items) {
        Poco::JSON::Object::Ptr view = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        view->set("lineItemId", item.lineItemId);
        view->set("state", item.state);
        view->set("code", optionalText(item.code));
        view->set("text", optionalText(item.text));
        view->set("updatedAt", formatIsoTime(item.updatedAt));
        view->set("cancelMessageId", optionalText(item.cancelMessageId));
        view->set("cancelReason", optionalText(item.cancelReason));
        itemList->add(view);
    }
    Poco::JSON::Array::Ptr messageList = new Poco::JSON::Array;
    for (const MessageRecord& message : messages) {
        Poco::JSON::Object::Ptr view = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        view->set("messageId", message.messageId);
        view->set("interaction", message.interaction);
        view->set("state", std::string(toString(message.state)));
        view->set("attempts", message.attempts);
        view->set("createdAt", formatIsoTime(message.createdAt));
        view->set("updatedAt", formatIsoTime(message.updatedAt));
        if (message.lastError) {
            Poco::JSON::Object::Ptr error = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
            error->set("code", message.lastError->code);
            error->set("text", message.lastError->text);
            view->set("lastError", error);
        } else {
            view->set("lastError", Poco::Dynamic::Var());
        }
        messageList->add(view);
    }
    Poco::JSON::Object::Ptr out = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("prescriptionId", prescriptionId);
    out->set("items", itemList);
    out->set("messages", messageList);
    sendJson(response, HTTPResponse::HTTP_OK, out);
}

} // namespace gp::agent::api
