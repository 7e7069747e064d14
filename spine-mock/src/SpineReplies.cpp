#include <gp/messaging/ebxml/Envelope.hpp>
#include <gp/messaging/ids/Identifiers.hpp>
#include <gp/mock/SpineReplies.hpp>

namespace gp::mock {

namespace {

namespace ebxml = messaging::ebxml;

constexpr std::string_view kTmsCodeContext = "urn:nhs:names:error:tms";

std::chrono::sys_seconds wholeSeconds(TimePoint time) {
    return std::chrono::floor<std::chrono::seconds>(time);
}

} // namespace

SpineReplies::SpineReplies(const MockConfig& config, const Clock& clock,
                           messaging::ids::RandomSource& random)
    : m_config(config), m_clock(clock), m_random(random) {}

std::string SpineReplies::newId() {
    std::lock_guard lock(m_idMutex);
    return messaging::ids::newUuid(m_random);
}

MockReply SpineReplies::messageError(const ReceivedHeader& received, const std::string& errorCode,
                                     const std::string& description) {
    ebxml::MessageErrorSpec spec;
    spec.header.fromPartyId = m_config.partyKey;
    spec.header.toPartyId = received.fromPartyId;
    spec.header.cpaId = received.cpaId.empty() ? m_config.cpaId : received.cpaId;
    spec.header.conversationId =
        received.conversationId.empty() ? newId() : received.conversationId;
    spec.header.messageId = newId();
    spec.header.refToMessageId = received.messageId;
    spec.header.timestamp = wholeSeconds(m_clock.now());
    ebxml::ErrorListItem item;
    item.errorCode = errorCode;
    item.description = description;
    spec.errors.push_back(std::move(item));
    return {500, "text/xml", {}, ebxml::buildMessageError(spec)};
}

MockReply SpineReplies::systemFailure() {
    ebxml::SoapFaultSpec spec;
    ebxml::ErrorListItem item;
    item.errorCode = "200";
    item.description = "System failure to process message - default";
    item.codeContext = std::string(kTmsCodeContext);
    spec.errors.push_back(std::move(item));
    return {500, "text/xml", {}, ebxml::buildSoapFault(spec)};
}

MockReply SpineReplies::acknowledgment(const ReceivedHeader& received, int status) {
    ebxml::AcknowledgmentSpec ack;
    // From and To swapped: the acknowledging party is the one the message was addressed to.
    ack.fromPartyId = received.toPartyId.empty() ? m_config.partyKey : received.toPartyId;
    ack.toPartyId = received.fromPartyId;
    ack.cpaId = received.cpaId;
    ack.conversationId = received.conversationId;
    ack.messageId = newId();
    ack.refToMessageId = received.messageId;
    ack.timestamp = wholeSeconds(m_clock.now());
    return {status, "text/xml", {}, ebxml::buildAcknowledgment(ack)};
}

MockAction SpineReplies::injectedFault(const Fault& fault, const ReceivedHeader& received,
                                       Waiter& waiter, std::string& replyCode) {
    switch (fault.type) {
    case Fault::Type::Http: {
        MockReply reply;
        reply.status = fault.status;
        reply.contentType = "text/plain";
        reply.body = "spine-mock injected HTTP " + std::to_string(fault.status) + "\n";
        if (fault.retryAfter) {
            reply.headers.emplace_back("Retry-After", std::to_string(*fault.retryAfter));
        }
        replyCode = std::to_string(fault.status);
        return MockAction::answer(std::move(reply));
    }
    case Fault::Type::SoapFault: {
        ebxml::SoapFaultSpec spec;
        replyCode.clear();
        for (const auto& code : fault.codes) {
            ebxml::ErrorListItem item;
            item.errorCode = code;
            item.description = fault.description.empty() ? spec.faultString : fault.description;
            item.codeContext = std::string(kTmsCodeContext);
            spec.errors.push_back(std::move(item));
            replyCode += (replyCode.empty() ? "" : ",") + code;
        }
        return MockAction::answer({500, "text/xml", {}, ebxml::buildSoapFault(spec)});
    }
    case Fault::Type::MessageError:
        replyCode = fault.errorCode;
        return MockAction::answer(messageError(received, fault.errorCode, fault.description));
    case Fault::Type::Hang:
        replyCode = "hang";
        waiter.waitFor(std::chrono::seconds(fault.seconds));
        return {MockAction::Kind::Close, {}};
    case Fault::Type::Reset:
    case Fault::Type::Delay:     // the caller waits and processes instead
    case Fault::Type::LostReply: // forward leg only; parseFaultRule keeps them off inbound rules
    case Fault::Type::Duplicate:
    case Fault::Type::Deferred: // the caller processes and defers the reply instead
        break;
    }
    replyCode = "reset";
    return {MockAction::Kind::Reset, {}};
}

} // namespace gp::mock
