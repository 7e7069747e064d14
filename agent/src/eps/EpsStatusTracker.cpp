#include <gp/agent/eps/EpsStatusTracker.hpp>
#include <gp/messaging/eps/Cancellation.hpp>
#include <gp/messaging/mime/Multipart.hpp>

#include <Poco/Logger.h>

#include <optional>

namespace gp::agent {

namespace {

namespace eps = messaging::eps;

Poco::Logger& logger() {
    static Poco::Logger& instance = Poco::Logger::get("gp-agent.eps"); // looked up once
    return instance;
}

// The response may be the HL7 part of Spine's multipart reply, or the whole body.
std::optional<eps::CancellationResponse> responseIn(const StoredReply& reply) {
    if (auto multipart = messaging::mime::parse(reply.contentType, reply.body)) {
        for (const auto& part : multipart->parts) {
            if (part.body.find(eps::kCancellationResponseInteraction) == std::string::npos) {
                continue;
            }
            if (auto response = eps::parseCancellationResponse(part.body)) {
                return std::move(response).value();
            }
        }
        return std::nullopt;
    }
    if (auto response = eps::parseCancellationResponse(reply.body)) {
        return std::move(response).value();
    }
    return std::nullopt;
}

bool waitingToGo(MessageState state) {
    return state == MessageState::Queued || state == MessageState::Sending ||
           state == MessageState::RetryWait;
}

std::string errorCode(const MessageRecord& message, const std::string& fallback) {
    return message.lastError ? message.lastError->code : fallback;
}

std::string errorText(const MessageRecord& message, const std::string& fallback) {
    return message.lastError && !message.lastError->text.empty() ? message.lastError->text
                                                                 : fallback;
}

constexpr std::string_view kHeldApplied =
    "Cancelled: Spine held the cancellation and applied it when the prescription arrived";

} // namespace

std::string EpsStatusTracker::stateForResponseCode(const std::string& code) {
    if (code == "0001") {
        return "cancelled";
    }
    if (code == "0002" || code == "0003") {
        return "cancel-pending-with-dispenser";
    }
    if (code == "0004") {
        return "dispensed";
    }
    if (code == "0005") {
        return "expired";
    }
    if (code == "0006") {
        return "already-cancelled";
    }
    if (code == "0008") {
        return "not-found";
    }
    return "cancel-failed";
}

std::mutex& EpsStatusTracker::lockFor(const std::string& prescriptionId) {
    return m_locks[std::hash<std::string>{}(prescriptionId) % m_locks.size()];
}

void EpsStatusTracker::messageFinished(const MessageRecord& record) {
    // Only these two carry items; anything else (GP2GP, e-RS) costs no store read.
    const bool prescription = record.interaction == eps::kParentPrescriptionInteraction;
    if (!prescription && record.interaction != eps::kCancellationRequestInteraction) {
        return;
    }
    // The business id of an EPS message is its prescription's id; the items say for sure.
    std::unique_lock lock(lockFor(record.businessId));
    std::vector<EpsItem> items = m_store.itemsByMessage(record.messageId);
    if (items.empty()) {
        return;
    }
    if (const std::string prescriptionId = items.front().prescriptionId;
        &lockFor(prescriptionId) != lock.mutex()) {
        lock.unlock(); // never two at once: two threads could take them in opposite order
        lock = std::unique_lock(lockFor(prescriptionId));
        items = m_store.itemsByMessage(record.messageId); // read again under the right lock
    }
    // An ack is final and the dispatcher says so only once it is recorded; anything else is
    // read from the store, which has the error that ended the message.
    std::optional<MessageRecord> message;
    if (record.state == MessageState::Acked) {
        message = record;
    } else {
        message = m_store.findMessage(record.messageId);
    }
    if (!message) {
        return;
    }
    if (prescription) {
        prescriptionFinished(*message, items);
    } else {
        cancellationFinished(*message, items);
    }
}

void EpsStatusTracker::prescriptionFinished(const MessageRecord& message,
                                            const std::vector<EpsItem>& items) {
    std::vector<EpsItem> changed;
    for (EpsItem item : items) {
        if (item.prescriptionMessageId != message.messageId) {
            continue;
        }
        const bool held = item.state == "cancel-held";
        // Only an item nothing else has happened to yet follows its prescription's outcome; a
        // cancellation on its way decides the item's state itself.
        if (item.state != "queued" && !held) {
            continue;
        }
        switch (message.state) {
        case MessageState::Acked:
            if (held) {
                item.state = "cancelled";
                item.code = "0001";
                item.text = std::string(kHeldApplied);
            } else {
                item.state = "sent";
                item.code.clear();
                item.text.clear();
            }
            break;
        case MessageState::Failed:
            item.state = "rejected";
            item.code = errorCode(message, "failed");
            item.text = errorText(message, "Spine refused the prescription");
            break;
        case MessageState::Expired:
            item.state = "undelivered";
            item.code = "expired";
            item.text = errorText(message, "not acknowledged by Spine within the persist duration");
            break;
        default:
            continue;
        }
        changed.push_back(std::move(item));
    }
    save(changed, message.messageId);
}

void EpsStatusTracker::cancellationFinished(const MessageRecord& message,
                                            const std::vector<EpsItem>& items) {
    std::optional<eps::CancellationResponse> response;
    if (message.state == MessageState::Acked || message.state == MessageState::Failed) {
        if (const auto reply = m_store.replyOf(message.messageId)) {
            response = responseIn(*reply);
        }
    }
    std::vector<EpsItem> changed;
    for (EpsItem item : items) {
        if (item.cancelMessageId != message.messageId) {
            continue; // a later cancellation of the item decides its state now
        }
        if (response) {
            item.code = response->code;
            item.text = response->displayName.empty()
                            ? std::string(eps::cancellationResponseText(response->code))
                            : response->displayName;
            if (!response->dispenserOds.empty()) {
                item.text += " (dispenser " + response->dispenserOds + ")";
            }
            item.state = stateForResponseCode(response->code);
            if (response->code == "0008" && !item.prescriptionMessageId.empty()) {
                // This agent sent the prescription and the item is one of its own, so "not
                // found" means the cancellation overtook it: Spine holds the cancellation and
                // applies it when the prescription lands.
                const auto prescription = m_store.findMessage(item.prescriptionMessageId);
                if (prescription && waitingToGo(prescription->state)) {
                    item.state = "cancel-held";
                    item.text += "; Spine holds the cancellation until the prescription arrives";
                } else if (prescription && prescription->state == MessageState::Acked) {
                    item.state = "cancelled";
                    item.code = "0001";
                    item.text = std::string(kHeldApplied);
                }
            }
        } else if (message.state == MessageState::Acked) {
            item.state = "cancel-failed";
            item.code = "no-response";
            item.text = "Spine acknowledged the cancellation without a CancellationResponse";
        } else if (message.state == MessageState::Failed) {
            item.state = "cancel-failed";
            item.code = errorCode(message, "failed");
            item.text = errorText(message, "Spine refused the cancellation");
        } else if (message.state == MessageState::Expired) {
            item.state = "cancel-failed";
            item.code = "expired";
            item.text = errorText(message, "not acknowledged by Spine within the persist duration");
        } else {
            continue;
        }
        changed.push_back(std::move(item));
    }
    save(changed, message.messageId);
}

void EpsStatusTracker::save(const std::vector<EpsItem>& changed, const std::string& messageId) {
    if (changed.empty()) {
        return;
    }
    std::string detail;
    for (const EpsItem& item : changed) {
        detail += (detail.empty() ? "" : "; ") + std::string("prescription ") +
                  item.prescriptionId + " item " + item.lineItemId + " " + item.state +
                  (item.code.empty() ? "" : " (" + item.code + ")");
    }
    const Status saved =
        m_store.updateItems(changed, {"eps", "eps-item-updated", messageId, detail});
    if (!saved) {
        logger().error("cannot record EPS item states after message %s: %s", messageId,
                       saved.error().describe());
        return;
    }
    if (logger().debug()) { // one line per prescription would cost more than the update
        logger().debug("message %s: %s", messageId, detail);
    }
}

} // namespace gp::agent
