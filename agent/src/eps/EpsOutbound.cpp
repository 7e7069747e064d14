#include "EpsOutbound.hpp"

#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/eps/ParentPrescription.hpp>

namespace gp::agent {

namespace {

constexpr std::string_view kReliableRequestPath = "/reliablemessaging/reliablerequest";

} // namespace

std::chrono::sys_seconds toSeconds(TimePoint time) {
    return std::chrono::time_point_cast<std::chrono::seconds>(time);
}

OutboundMessage epsOutbound(const EpsRouting& routing, const EpsInteraction& interaction,
                            std::string hl7Payload) {
    namespace ebxml = messaging::ebxml;
    ebxml::Message message;
    auto& header = message.header;
    header.fromPartyId = routing.fromPartyKey;
    header.toPartyId = routing.spinePartyKey;
    header.cpaId = routing.spineCpaId;
    header.conversationId = interaction.conversationId;
    header.service = std::string(messaging::eps::kService);
    header.action = std::string(interaction.interaction);
    header.messageId = interaction.messageId;
    header.timestamp = toSeconds(interaction.now);
    // EPS is async reliable: Spine eliminates duplicates, its MSH acknowledges, and it answers
    // on the same connection.
    header.duplicateElimination = true;
    header.ackRequested = ebxml::AckRequested::ToPartyMsh;
    header.syncReply = true;
    message.payload = std::move(hl7Payload);
    const auto http = ebxml::buildMessage(message);

    OutboundMessage outbound;
    outbound.messageId = interaction.messageId;
    outbound.conversationId = interaction.conversationId;
    outbound.interaction = header.action;
    outbound.service = header.service;
    outbound.businessId = interaction.businessId;
    outbound.endpoint = routing.spineUrl + std::string(kReliableRequestPath);
    outbound.soapAction = http.soapAction;
    outbound.contentType = http.contentType;
    outbound.body = http.body;
    outbound.createdAt = interaction.now;
    outbound.expiresAt = interaction.now + routing.persistDuration;
    outbound.maxAttempts = routing.maxAttempts;
    outbound.practice = routing.practiceOdsCode;
    return outbound;
}

} // namespace gp::agent
