#include "OperationsRoutes.hpp"

#include "../gp2gp/TransferStates.hpp"
#include "HttpReplies.hpp"
#include "JsonViews.hpp"

#include <gp/agent/store/Store.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <optional>
#include <string_view>

namespace gp::agent::api {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

const std::string kMessages = "/v1/messages";
const std::string kMessagesPrefix = "/v1/messages/";
const std::string kRetryFailed = "/v1/messages/retry-failed";
const std::string kPause = "/v1/dispatch/pause";
const std::string kResume = "/v1/dispatch/resume";
constexpr std::string_view kRetrySuffix = "/retry";
constexpr std::string_view kAcknowledgeSuffix = "/acknowledge";

/// retry-failed touches at most this many messages per call; the page and the tray call again.
constexpr int kRetryAllLimit = 10000;

bool endsWith(const std::string& text, std::string_view suffix) {
    return text.size() > suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The message id between "/v1/messages/" and `suffix`, when the path has that shape.
std::optional<std::string> messageIdBefore(const std::string& path, std::string_view suffix) {
    if (path.rfind(kMessagesPrefix, 0) != 0 || !endsWith(path, suffix)) {
        return std::nullopt;
    }
    std::string id =
        path.substr(kMessagesPrefix.size(), path.size() - kMessagesPrefix.size() - suffix.size());
    if (id.empty() || id.find('/') != std::string::npos) {
        return std::nullopt;
    }
    return id;
}

bool mayOperate(const Caller& caller, HTTPServerResponse& response) {
    if (caller.may(Scope::Operate)) {
        return true;
    }
    sendErrors(response, HTTPResponse::HTTP_FORBIDDEN,
               {failure("scope", "the token '" + caller.name + "' has scope " +
                                     std::string(toString(caller.scope)) +
                                     "; this action needs scope operate")});
    return false;
}

/// Why the outbox must not resend this message although it failed, or nothing. The store
/// refuses the rest (not failed or expired; a large body already deleted).
std::optional<std::string> ownedByWorkflow(Store& store, const MessageRecord& message) {
    if (message.kind == "fhir") {
        return "e-RS requests are retried by their referral's workflow (gp-agentctl ers), not "
               "from the outbox: resending one could create a referral twice";
    }
    if (const auto transfer = store.findConversation(message.conversationId);
        transfer && transfer->state == gp2gp::kFailed) {
        return "GP2GP transfer " + transfer->conversationId +
               " has failed; resending one of its messages cannot revive it: request the "
               "record again";
    }
    return std::nullopt;
}

HTTPResponse::HTTPStatus statusFor(const Error& error) {
    if (error.where == "messageId") {
        return HTTPResponse::HTTP_NOT_FOUND;
    }
    if (error.where == "state" || error.where == "body") {
        return HTTPResponse::HTTP_CONFLICT;
    }
    return HTTPResponse::HTTP_SERVICE_UNAVAILABLE; // the store could not write
}

} // namespace

bool OperationsRoutes::handles(const std::string& path) {
    return path == kMessages || path == kRetryFailed || path == kPause || path == kResume ||
           messageIdBefore(path, kRetrySuffix) || messageIdBefore(path, kAcknowledgeSuffix);
}

void OperationsRoutes::handle(HTTPServerRequest& request, HTTPServerResponse& response,
                              const Caller& caller) {
    const std::string path = Poco::URI(request.getURI()).getPath();
    const std::string& method = request.getMethod();
    if (path == kMessages) {
        if (method != "GET") {
            return methodNotAllowed(response, "GET");
        }
        return listMessages(request, response);
    }
    if (method != "POST") {
        return methodNotAllowed(response, "POST");
    }
    // Actions take no body; one sent anyway is read (and ignored) so the connection stays usable.
    if (!readBody(request, response, m_maxBodyBytes)) {
        return;
    }
    if (!mayOperate(caller, response)) {
        return;
    }
    if (path == kRetryFailed) {
        return retryAllFailed(response, caller);
    }
    if (path == kPause || path == kResume) {
        return setPaused(path == kPause, response, caller);
    }
    if (const auto id = messageIdBefore(path, kRetrySuffix)) {
        return retry(*id, response, caller);
    }
    if (const auto id = messageIdBefore(path, kAcknowledgeSuffix)) {
        return acknowledge(*id, response, caller);
    }
    sendError(response, HTTPResponse::HTTP_NOT_FOUND, "no such resource: " + path);
}

void OperationsRoutes::listMessages(HTTPServerRequest& request, HTTPServerResponse& response) {
    std::vector<MessageState> states;
    int limit = 100;
    for (const auto& [name, value] : Poco::URI(request.getURI()).getQueryParameters()) {
        if (name == "state") {
            const auto state = messageStateFromString(value);
            if (!state) {
                return sendErrors(response, HTTPResponse::HTTP_BAD_REQUEST,
                                  {failure("state", "'" + value +
                                                        "' is not one of queued, sending, "
                                                        "retry-wait, acked, failed, expired")});
            }
            states.push_back(*state);
        } else if (name == "limit") {
            const auto size = parsePageSize(response, name, value);
            if (!size) {
                return;
            }
            limit = *size;
        }
    }
    Array::Ptr list = new Array;
    for (const MessageRecord& message : m_store.listMessages(states, limit, m_practice.shown)) {
        list->add(messageSummaryView(message));
    }
    Object::Ptr out = new Object;
    out->set("messages", list);
    sendJson(response, HTTPResponse::HTTP_OK, out);
}

void OperationsRoutes::retry(const std::string& messageId, HTTPServerResponse& response,
                             const Caller& caller) {
    const auto message = m_store.findMessage(messageId);
    if (!message) {
        return sendErrors(response, HTTPResponse::HTTP_NOT_FOUND,
                          {failure("messageId", "no message " + messageId)});
    }
    if (!m_practice.shows(message->practice)) {
        return refusePractice(response, caller, m_practice.odsCodeOf(message->practice));
    }
    if (const auto why = ownedByWorkflow(m_store, *message)) {
        return sendErrors(response, HTTPResponse::HTTP_CONFLICT, {failure("messageId", *why)});
    }
    const Status requeued = m_store.requeueMessage(messageId, {caller.actor(), "", messageId, ""});
    if (!requeued) {
        return sendErrors(response, statusFor(requeued.error()), {requeued.error()});
    }
    apiLogger().information("message %s queued again at the request of %s", messageId,
                            caller.actor());
    wake();
    Object::Ptr out = new Object;
    out->set("messageId", messageId);
    out->set("state", std::string(toString(MessageState::Queued)));
    sendJson(response, HTTPResponse::HTTP_ACCEPTED, out);
}

void OperationsRoutes::retryAllFailed(HTTPServerResponse& response, const Caller& caller) {
    int retried = 0;
    Array::Ptr skipped = new Array;
    for (const MessageRecord& message : m_store.listMessages(
             {MessageState::Failed, MessageState::Expired}, kRetryAllLimit, m_practice.shown)) {
        std::optional<std::string> why = ownedByWorkflow(m_store, message);
        if (!why) {
            const Status requeued = m_store.requeueMessage(
                message.messageId, {caller.actor(), "", message.messageId, "retry all failed"});
            if (requeued) {
                ++retried;
                continue;
            }
            why = requeued.error().message;
        }
        Object::Ptr entry = new Object;
        entry->set("messageId", message.messageId);
        entry->set("reason", *why);
        skipped->add(entry);
    }
    apiLogger().information("%d failed or expired message(s) queued again at the request of %s",
                            retried, caller.actor());
    if (retried > 0) {
        wake();
    }
    Object::Ptr out = new Object;
    out->set("retried", retried);
    out->set("skipped", skipped);
    sendJson(response, HTTPResponse::HTTP_ACCEPTED, out);
}

void OperationsRoutes::acknowledge(const std::string& messageId, HTTPServerResponse& response,
                                   const Caller& caller) {
    if (const auto message = m_store.findMessage(messageId);
        message && !m_practice.shows(message->practice)) {
        return refusePractice(response, caller, m_practice.odsCodeOf(message->practice));
    }
    const Status done = m_store.acknowledgeMessage(messageId, {caller.actor(), "", messageId, ""});
    if (!done) {
        return sendErrors(response, statusFor(done.error()), {done.error()});
    }
    Object::Ptr out = new Object;
    out->set("messageId", messageId);
    out->set("acknowledged", true);
    sendJson(response, HTTPResponse::HTTP_OK, out);
}

void OperationsRoutes::setPaused(bool paused, HTTPServerResponse& response, const Caller& caller) {
    const Status done = m_store.setDispatchPaused(paused, {caller.actor(), "", "", ""});
    if (!done) {
        return sendErrors(response, statusFor(done.error()), {done.error()});
    }
    apiLogger().information("sending %s by %s", std::string(paused ? "paused" : "resumed"),
                            caller.actor());
    if (!paused) {
        wake();
    }
    Object::Ptr out = new Object;
    out->set("paused", paused);
    sendJson(response, HTTPResponse::HTTP_OK, out);
}

void OperationsRoutes::wake() const {
    if (m_workArrived) {
        m_workArrived();
    }
}

} // namespace gp::agent::api
