#include "JsonViews.hpp"

#include "../gp2gp/TransferStates.hpp"
#include "FailureReasons.hpp"
#include "HttpReplies.hpp"

#include <gp/agent/TimeFormat.hpp>

#include <Poco/JSON/Array.h>

#include <sstream>

namespace gp::agent::api {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr auditRowView(const AuditRow& row) {
    Object::Ptr out = new Object;
    out->set("seq", static_cast<Poco::Int64>(row.seq));
    out->set("at", formatIsoTime(row.at));
    out->set("actor", row.actor);
    out->set("event", row.event);
    out->set("messageId", row.messageId);
    out->set("detail", row.detail);
    // null for rows older than the column; "" when the row concerns no patient.
    out->set("nhsNumber",
             row.nhsNumber ? Poco::Dynamic::Var(*row.nhsNumber) : Poco::Dynamic::Var());
    out->set("prevHash", row.prevHash);
    out->set("hash", row.hash);
    return out;
}

Poco::Dynamic::Var errorView(const std::optional<MessageError>& error) {
    if (!error) {
        return Poco::Dynamic::Var();
    }
    Object::Ptr out = new Object;
    out->set("code", error->code);
    out->set("text", error->text);
    return out;
}

} // namespace

Object::Ptr messageSummaryView(const MessageRecord& message) {
    Object::Ptr out = new Object;
    out->set("messageId", message.messageId);
    out->set("interaction", message.interaction);
    out->set("service", message.service);
    out->set("businessId", message.businessId);
    out->set("state", std::string(toString(message.state)));
    out->set("attempts", message.attempts);
    out->set("createdAt", formatIsoTime(message.createdAt));
    out->set("updatedAt", formatIsoTime(message.updatedAt));
    out->set("lastError", errorView(message.lastError));
    out->set("reason", plainReason(message));
    out->set("acknowledged", message.acknowledgedAt.has_value());
    out->set("practice", optionalText(message.practice)); // null: the default practice
    return out;
}

Object::Ptr messageView(const MessageRecord& message, const std::vector<AuditRow>& history) {
    Object::Ptr out = new Object;
    out->set("messageId", message.messageId);
    out->set("conversationId", message.conversationId);
    out->set("interaction", message.interaction);
    out->set("businessId", message.businessId);
    out->set("state", std::string(toString(message.state)));
    out->set("attempts", message.attempts);
    out->set("maxAttempts", message.maxAttempts);
    out->set("createdAt", formatIsoTime(message.createdAt));
    out->set("updatedAt", formatIsoTime(message.updatedAt));
    out->set("expiresAt", formatIsoTime(message.expiresAt));
    out->set("nextAttemptAt", optionalTime(message.nextAttemptAt));
    out->set("ackedAt", optionalTime(message.ackedAt));
    if (message.lastError) {
        Object::Ptr error = new Object;
        error->set("code", message.lastError->code);
        error->set("text", message.lastError->text);
        out->set("lastError", error);
    } else {
        out->set("lastError", Poco::Dynamic::Var());
    }
    Array::Ptr transitions = new Array;
    for (const auto& row : history) {
        Object::Ptr entry = new Object;
        entry->set("seq", static_cast<Poco::Int64>(row.seq));
        entry->set("at", formatIsoTime(row.at));
        entry->set("event", row.event);
        entry->set("actor", row.actor);
        entry->set("detail", row.detail);
        transitions->add(entry);
    }
    out->set("history", transitions);
    out->set("reason", plainReason(message));
    out->set("acknowledged", message.acknowledgedAt.has_value());
    out->set("practice", optionalText(message.practice)); // null: the default practice
    return out;
}

Object::Ptr statusView(const StatusSummary& status, TimePoint now) {
    Object::Ptr out = new Object;
    Object::Ptr counts = new Object;
    for (const auto& [state, count] : status.counts) {
        counts->set(std::string(toString(state)), static_cast<Poco::Int64>(count));
    }
    out->set("counts", counts);
    if (status.oldestQueuedAt) {
        const auto age = std::chrono::duration_cast<Milliseconds>(now - *status.oldestQueuedAt);
        out->set("oldestQueuedAgeSeconds", static_cast<double>(age.count()) / 1000.0);
    } else {
        out->set("oldestQueuedAgeSeconds", Poco::Dynamic::Var());
    }
    out->set("lastAckedAt", optionalTime(status.lastAckedAt));
    if (status.lastTransportError) {
        Object::Ptr error = new Object;
        error->set("code", status.lastTransportError->code);
        error->set("text", status.lastTransportError->text);
        error->set("at", optionalTime(status.lastTransportErrorAt));
        out->set("lastTransportError", error);
    } else {
        out->set("lastTransportError", Poco::Dynamic::Var());
    }
    // "ok", or why the store cannot keep new work just now (full disk, failing disk).
    Object::Ptr storage = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    if (status.storageProblem) {
        storage->set("state", std::string(toString(status.storageProblem->fault)));
        storage->set("detail", status.storageProblem->detail);
        storage->set("since", formatIsoTime(status.storageProblem->since));
    } else {
        storage->set("state", "ok");
    }
    out->set("storage", storage);
    out->set("lastSentAt", optionalTime(status.lastSentAt));
    out->set("needsAttention", static_cast<Poco::Int64>(status.needsAttention));
    out->set("paused", status.paused);
    // In progress: not yet ended (closed, failed) nor complete (imported, final ack queued).
    std::int64_t inProgress = 0;
    std::int64_t failed = 0;
    for (const auto& [state, count] : status.transferStates) {
        if (state == gp2gp::kFailed) {
            failed += count;
        } else if (!gp2gp::isFinalState(state) && state != gp2gp::kComplete) {
            inProgress += count;
        }
    }
    Object::Ptr transfers = new Object;
    transfers->set("inProgress", static_cast<Poco::Int64>(inProgress));
    transfers->set("failed", static_cast<Poco::Int64>(failed));
    // Rises by one each time a requested record arrives: the tray's "record arrived" notice.
    transfers->set("recordsReceived", static_cast<Poco::Int64>(status.recordsReceived));
    out->set("gp2gp", transfers);
    return out;
}

Object::Ptr auditView(const std::vector<AuditRow>& rows) {
    Object::Ptr out = new Object;
    Array::Ptr list = new Array;
    for (const auto& row : rows) {
        list->add(auditRowView(row));
    }
    out->set("rows", list);
    out->set("next", rows.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(rows.back().seq));
    return out;
}

Object::Ptr errorsView(const std::vector<Error>& errors) {
    Object::Ptr out = new Object;
    Array::Ptr list = new Array;
    for (const auto& error : errors) {
        Object::Ptr entry = new Object;
        entry->set("field", error.where);
        entry->set("message", error.message);
        list->add(entry);
    }
    out->set("errors", list);
    return out;
}

Object::Ptr singleErrorView(const std::string& message) {
    return errorsView({failure("", message)});
}

std::string toJson(const Object::Ptr& object) {
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

} // namespace gp::agent::api
