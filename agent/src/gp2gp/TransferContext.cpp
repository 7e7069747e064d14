#include "TransferContext.hpp"

#include "TransferFiles.hpp"

#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <sstream>
#include <stdexcept>

namespace gp::agent::gp2gp {

namespace {

/// Bodies above this go to a file rather than the outbox row: attachments, fragments, extracts.
constexpr std::size_t kInlineBodyLimit = 64 * 1024;

constexpr Milliseconds kRetryDelay{30000};

} // namespace

TransferData::TransferData(const std::string& json) {
    if (!json.empty()) {
        try {
            Poco::JSON::Parser parser;
            m_object = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
        } catch (const std::exception&) {
            m_object = nullptr;
        }
    }
    if (!m_object) {
        m_object = new Poco::JSON::Object;
    }
}

std::int64_t TransferData::number(const std::string& key, std::int64_t fallback) const {
    if (!m_object->has(key) || m_object->isNull(key)) {
        return fallback;
    }
    try {
        return m_object->get(key).convert<Poco::Int64>();
    } catch (const std::exception&) {
        return fallback;
    }
}

std::string TransferData::text(const std::string& key) const {
    if (!m_object->has(key) || m_object->isNull(key)) {
        return {};
    }
    return m_object->get(key).convert<std::string>();
}

std::vector<std::string> TransferData::list(const std::string& key) const {
    std::vector<std::string> values;
    auto array = m_object->getArray(key);
    for (std::size_t i = 0; array && i < array->size(); ++i) {
        values.push_back(array->get(static_cast<unsigned>(i)).convert<std::string>());
    }
    return values;
}

void TransferData::set(const std::string& key, std::int64_t value) {
    m_object->set(key, static_cast<Poco::Int64>(value));
}

void TransferData::set(const std::string& key, const std::string& value) {
    m_object->set(key, value);
}

void TransferData::set(const std::string& key, const std::vector<std::string>& values) {
    Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
    for (const auto& value : values) {
        array->add(value);
    }
    m_object->set(key, array);
}

std::string TransferData::json() const {
    std::ostringstream out;
    m_object->stringify(out);
    return out.str();
}

TransferContext::TransferContext(Gp2gpService::Dependencies& deps,
                                 const PracticeDirectory& practices, AgentSettings::Gp2gp settings,
                                 std::filesystem::path outboxDir)
    : m_deps(deps), m_practices(practices), m_settings(std::move(settings)),
      m_outboxDir(std::move(outboxDir)) {}

bool TransferContext::actAs(std::string_view odsCode) {
    m_acting = m_practices.byOdsCode(odsCode);
    return m_acting != nullptr;
}

const Practice& TransferContext::practice() const {
    if (m_acting == nullptr) {
        throw std::logic_error("GP2GP work done as no practice");
    }
    return *m_acting;
}

std::filesystem::path TransferContext::recordSource() const {
    if (m_practices.all().size() == 1) {
        return m_settings.recordSource;
    }
    return m_settings.recordSource / practice().odsCode;
}

std::filesystem::path TransferContext::importDir() const {
    if (m_practices.all().size() == 1) {
        return m_settings.importDir;
    }
    return m_settings.importDir / practice().odsCode;
}

std::string TransferContext::newId() {
    return messaging::ids::newUuid(m_deps.random);
}

Result<Route> TransferContext::route(const std::string& odsCode, std::string_view interaction) {
    auto found = m_deps.routes.lookup(odsCode, std::string(messaging::gp2gp::kService) + ":" +
                                                   std::string(interaction));
    if (!found) {
        logger().warning("route lookup for " + odsCode + " " + std::string(interaction) +
                         " failed: " + found.error().describe());
    }
    return found;
}

messaging::gp2gp::Routing TransferContext::routing(const Route& route,
                                                   const std::string& remoteOds) const {
    messaging::gp2gp::Routing routing;
    const Practice& self = practice();
    routing.fromPartyId = self.partyKey;
    routing.toPartyId = route.partyKey;
    routing.cpaId = route.cpaId;
    routing.fromAsid = self.asid;
    routing.toAsid = route.asid;
    routing.fromOds = self.odsCode;
    routing.toOds = remoteOds;
    return routing;
}

messaging::gp2gp::Envelope TransferContext::envelope(const std::string& conversationId,
                                                     const std::string& messageId) const {
    messaging::gp2gp::Envelope envelope;
    envelope.messageId = messageId;
    envelope.conversationId = conversationId;
    envelope.timestamp = std::chrono::floor<std::chrono::seconds>(now());
    return envelope;
}

OutboundMessage TransferContext::outboundFor(const messaging::ebxml::MessageHeader& header,
                                             const Route& route, std::string contentType,
                                             std::string soapAction) const {
    OutboundMessage out;
    out.messageId = header.messageId;
    out.conversationId = header.conversationId;
    out.interaction = header.action;
    out.service = header.service;
    // The conversation, never anything about the patient.
    out.businessId = header.conversationId;
    out.endpoint = route.endpoint;
    out.soapAction = std::move(soapAction);
    out.contentType = std::move(contentType);
    out.createdAt = now();
    out.expiresAt = out.createdAt + route.persistDuration;
    out.practice = practice().odsCode; // sent under this practice's certificate, if it has one
    out.maxAttempts = route.retries + 1;
    out.retryInterval = route.retryInterval;
    return out;
}

Result<OutboundMessage> TransferContext::prepare(const messaging::ebxml::Message& message,
                                                 const Route& route) {
    auto built = messaging::ebxml::buildMessage(message);
    OutboundMessage out = outboundFor(message.header, route, std::move(built.contentType),
                                      std::move(built.soapAction));
    if (built.body.size() > kInlineBodyLimit) {
        out.bodyFile = conversationDir(out.conversationId) / (out.messageId + ".mime");
        if (auto written = writeSynced(out.bodyFile, built.body); !written) {
            return written.error();
        }
    } else {
        out.body = std::move(built.body);
    }
    return out;
}

Result<OutboundMessage> TransferContext::prepareFromFile(const messaging::ebxml::Message& message,
                                                         const Route& route,
                                                         const std::filesystem::path& file,
                                                         std::uint64_t offset,
                                                         std::uint64_t length) {
    auto built = messaging::ebxml::buildMessageAround(message);
    OutboundMessage out = outboundFor(message.header, route, std::move(built.contentType),
                                      std::move(built.soapAction));
    out.bodyFile = conversationDir(out.conversationId) / (out.messageId + ".mime");
    if (auto written = writeSyncedAround(out.bodyFile, built.head, file, offset, length,
                                         message.attachments.back().base64, built.tail);
        !written) {
        return written.error();
    }
    return out;
}

Result<OutboundMessage> TransferContext::ack(const std::string& conversationId,
                                             const std::string& remoteOds,
                                             const std::string& acknowledgedMessageId,
                                             std::optional<messaging::gp2gp::NackReason> nack) {
    auto found = route(remoteOds, messaging::gp2gp::kApplicationAck);
    if (!found) {
        return found.error();
    }
    const auto message = messaging::gp2gp::ackMessage(
        routing(*found, remoteOds), envelope(conversationId, newId()), acknowledgedMessageId, nack);
    return prepare(message, *found);
}

std::filesystem::path TransferContext::conversationDir(const std::string& conversationId) const {
    return m_outboxDir / conversationId;
}

std::filesystem::path TransferContext::receivedDir(const std::string& conversationId) const {
    return conversationDir(conversationId) / "received";
}

void TransferContext::tidy(const std::string& conversationId) const {
    std::error_code ignored;
    std::filesystem::remove_all(receivedDir(conversationId), ignored);
    std::filesystem::remove(conversationDir(conversationId), ignored); // only when empty
}

Status TransferContext::apply(const WorkflowStep& step) {
    auto applied = m_deps.store.applyStep(step);
    if (applied && !step.outbound.empty() && m_deps.outboxWork) {
        m_deps.outboxWork();
    }
    return applied;
}

Outcome TransferContext::commit(const WorkflowStep& step) {
    auto applied = apply(step);
    if (!applied) {
        logger().error(
            "could not store a GP2GP step" +
            (step.conversation ? " of " + step.conversation->conversationId : std::string()) +
            ": " + applied.error().describe());
        noteRetry();
        return Outcome::Deferred;
    }
    return Outcome::Changed;
}

AuditEvent TransferContext::audit(const std::string& conversationId, const std::string& event,
                                  const std::string& detail, const std::string& actor) const {
    // Keyed by the ConversationId, so a transfer's history is one audit lookup away.
    return AuditEvent{actor, event, conversationId, detail};
}

Outcome TransferContext::ignore(const InboundRecord& record, const std::string& conversationId,
                                const std::string& event, const std::string& detail) {
    WorkflowStep step;
    step.inboundProcessed.push_back(record.message.messageId);
    step.audit.push_back(audit(conversationId.empty() ? record.message.messageId : conversationId,
                               event, detail + " (message " + record.message.messageId + ")"));
    logger().information(event + ": " + detail + " (message " + record.message.messageId + ")");
    return commit(step);
}

Outcome TransferContext::giveUp(const InboundRecord& record, const std::string& reason) {
    logger().warning("cannot process inbound message " + record.message.messageId + ": " + reason);
    auto marked = m_deps.store.markInboundFailed(record.message.messageId, reason);
    if (!marked) {
        logger().error("could not mark " + record.message.messageId +
                       " failed: " + marked.error().describe());
        noteRetry();
        return Outcome::Deferred;
    }
    return Outcome::Changed;
}

void TransferContext::noteRetry() {
    const TimePoint at = now() + kRetryDelay;
    if (!m_retryAt || at < *m_retryAt) {
        m_retryAt = at;
    }
}

Poco::Logger& TransferContext::logger() const {
    return Poco::Logger::get("gp-agent.gp2gp");
}

Conversation withState(Conversation conversation, const std::string& state, TimePoint now) {
    conversation.state = state;
    conversation.updatedAt = now;
    return conversation;
}

Conversation failed(Conversation conversation, const std::string& code, const std::string& text,
                    TimePoint now) {
    conversation.state = "failed";
    conversation.errorCode = code;
    conversation.errorText = text;
    conversation.deadline.reset();
    conversation.updatedAt = now;
    return conversation;
}

void mergeParts(std::vector<ConversationPart>& parts,
                const std::vector<ConversationPart>& updates) {
    for (const auto& update : updates) {
        bool replaced = false;
        for (auto& part : parts) {
            if (part.partId == update.partId) {
                part = update;
                replaced = true;
                break;
            }
        }
        if (!replaced) {
            parts.push_back(update);
        }
    }
}

const ConversationPart* findPart(const std::vector<ConversationPart>& parts,
                                 const std::string& partId) {
    for (const auto& part : parts) {
        if (part.partId == partId) {
            return &part;
        }
    }
    return nullptr;
}

} // namespace gp::agent::gp2gp
