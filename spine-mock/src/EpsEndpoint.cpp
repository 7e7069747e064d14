#include <gp/messaging/ebxml/Envelope.hpp>
#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/hl7/ApplicationAck.hpp>
#include <gp/messaging/ids/Identifiers.hpp>
#include <gp/messaging/mime/Multipart.hpp>
#include <gp/messaging/xml/SafeXml.hpp>
#include <gp/mock/EpsEndpoint.hpp>
#include <gp/mock/SpineRules.hpp>

#include <algorithm>

namespace gp::mock {

namespace {

namespace ebxml = messaging::ebxml;
namespace hl7 = messaging::hl7;
namespace mime = messaging::mime;
namespace xml = messaging::xml;

constexpr std::string_view kNhsServicePrefix = "urn:nhs:names:services:";
constexpr std::string_view kTmsCodeContext = "urn:nhs:names:error:tms";
constexpr std::string_view kEnvelopeContentId = "ebXMLHeader@spine.nhs.uk";

const std::string kHeaderPath = "/SOAP:Envelope/SOAP:Header/eb:MessageHeader/";

std::string unquote(std::string text) {
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
        return text.substr(1, text.size() - 2);
    }
    return text;
}

// The interaction is the SOAPAction's last path segment; faults match on it before any parsing.
std::string interactionFromSoapAction(const std::string& soapAction) {
    const std::string action = unquote(soapAction);
    const auto slash = action.rfind('/');
    return slash == std::string::npos ? std::string() : action.substr(slash + 1);
}

std::chrono::sys_seconds wholeSeconds(TimePoint time) {
    return std::chrono::floor<std::chrono::seconds>(time);
}

} // namespace

struct EpsEndpoint::Received {
    std::string messageId; // only once it has been checked to be an upper-case UUID
    std::string interaction;
    std::string fromPartyId;
    std::string cpaId;
    std::string conversationId;
};

EpsEndpoint::EpsEndpoint(const MockConfig& config, MockStore& store, FaultPlan& faults,
                         const Clock& clock, messaging::ids::RandomSource& random, Waiter& waiter)
    : m_config(config), m_store(store), m_faults(faults), m_clock(clock), m_random(random),
      m_waiter(waiter), m_log(Poco::Logger::get("spine-mock.eps")) {}

std::string EpsEndpoint::newId() {
    std::lock_guard lock(m_idMutex);
    return messaging::ids::newUuid(m_random);
}

void EpsEndpoint::journal(const Received& received, const std::string& outcome,
                          const std::string& replyCode, const std::string& receivedAt) {
    const JournalEntry entry{0,       received.messageId, received.interaction,
                             outcome, replyCode,          receivedAt};
    if (auto stored = m_store.appendJournal(entry); !stored) {
        m_log.error("journal write failed for MessageId %s: %s", received.messageId,
                    stored.error().describe());
    }
    m_log.information("MessageId=%s interaction=%s outcome=%s reply=%s", received.messageId,
                      received.interaction, outcome, replyCode);
}

MockAction EpsEndpoint::handle(const MockRequest& request) {
    const std::string receivedAt = formatIsoMillis(m_clock.now());
    const std::string interaction = interactionFromSoapAction(request.header("SOAPAction"));
    if (auto fault = m_faults.take(interaction)) {
        if (fault->type != Fault::Type::Delay) {
            return applyFault(*fault, request, interaction, receivedAt);
        }
        m_log.information("injected delay of %d ms for interaction %s", fault->milliseconds,
                          interaction);
        m_waiter.waitFor(std::chrono::milliseconds(fault->milliseconds));
    }
    return process(request, receivedAt);
}

MockAction EpsEndpoint::applyFault(const Fault& fault, const MockRequest& request,
                                   const std::string& interaction, const std::string& receivedAt) {
    // The request is not processed, but its MessageId is read if it can be so that the journal
    // shows which attempt was faulted.
    Received received;
    received.interaction = interaction;
    if (auto multipart = mime::parse(request.header("Content-Type"), request.body);
        multipart && !multipart->parts.empty()) {
        if (auto document = xml::parse(multipart->parts.front().body)) {
            const auto id = document->text(kHeaderPath + "eb:MessageData/eb:MessageId");
            if (id && rules::isUpperCaseUuid(*id)) {
                received.messageId = *id;
            }
            received.fromPartyId = document->text(kHeaderPath + "eb:From/eb:PartyId").value_or("");
            received.cpaId = document->text(kHeaderPath + "eb:CPAId").value_or("");
            received.conversationId =
                document->text(kHeaderPath + "eb:ConversationId").value_or("");
        }
    }

    switch (fault.type) {
    case Fault::Type::Http: {
        MockReply reply;
        reply.status = fault.status;
        reply.contentType = "text/plain";
        reply.body = "spine-mock injected HTTP " + std::to_string(fault.status) + "\n";
        if (fault.retryAfter) {
            reply.headers.emplace_back("Retry-After", std::to_string(*fault.retryAfter));
        }
        journal(received, "fault", std::to_string(fault.status), receivedAt);
        return MockAction::answer(std::move(reply));
    }
    case Fault::Type::SoapFault: {
        ebxml::SoapFaultSpec spec;
        for (const auto& code : fault.codes) {
            ebxml::ErrorListItem item;
            item.errorCode = code;
            item.description = fault.description.empty() ? spec.faultString : fault.description;
            item.codeContext = std::string(kTmsCodeContext);
            spec.errors.push_back(std::move(item));
        }
        std::string codes;
        for (const auto& code : fault.codes) {
            codes += (codes.empty() ? "" : ",") + code;
        }
        journal(received, "fault", codes, receivedAt);
        return MockAction::answer({500, "text/xml", {}, ebxml::buildSoapFault(spec)});
    }
    case Fault::Type::MessageError: {
        journal(received, "fault", fault.errorCode, receivedAt);
        return MockAction::answer(messageError(received, fault.errorCode, fault.description));
    }
    case Fault::Type::Reset:
        journal(received, "fault", "reset", receivedAt);
        return {MockAction::Kind::Reset, {}};
    case Fault::Type::Hang:
        journal(received, "fault", "hang", receivedAt);
        m_waiter.waitFor(std::chrono::seconds(fault.seconds));
        return {MockAction::Kind::Close, {}};
    case Fault::Type::Delay:
        break; // handled by the caller: a delayed request is processed
    }
    return process(request, receivedAt);
}

MockReply EpsEndpoint::messageError(const Received& received, const std::string& errorCode,
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

MockAction EpsEndpoint::reject(const Received& received, const std::string& errorCode,
                               const std::string& description, const std::string& receivedAt) {
    journal(received, "rejected", errorCode, receivedAt);
    return MockAction::answer(messageError(received, errorCode, description));
}

MockAction EpsEndpoint::systemFailure(const Received& received, const std::string& receivedAt,
                                      const std::string& why) {
    // What Spine does when it cannot store a message: a retriable SOAP fault, code 200.
    m_log.error("MessageId %s not processed: %s", received.messageId, why);
    journal(received, "rejected", "200", receivedAt);
    ebxml::SoapFaultSpec spec;
    ebxml::ErrorListItem item;
    item.errorCode = "200";
    item.description = "System failure to process message - default";
    item.codeContext = std::string(kTmsCodeContext);
    spec.errors.push_back(std::move(item));
    return MockAction::answer({500, "text/xml", {}, ebxml::buildSoapFault(spec)});
}

MockReply EpsEndpoint::applicationReply(const Received& received, const PrescriptionFacts& facts,
                                        const AckOutcome& outcome) {
    const auto now = wholeSeconds(m_clock.now());

    ebxml::AcknowledgmentSpec ack;
    ack.fromPartyId = m_config.partyKey;
    ack.toPartyId = received.fromPartyId;
    ack.cpaId = received.cpaId;
    ack.conversationId = received.conversationId;
    ack.messageId = newId();
    ack.refToMessageId = received.messageId;
    ack.timestamp = now;

    hl7::ApplicationAckSpec application;
    application.messageId = newId();
    application.creationTime = now;
    application.typeCode = outcome.accepted ? hl7::AckTypeCode::AA : hl7::AckTypeCode::AE;
    application.messageRef = received.messageId;
    if (!outcome.accepted) {
        application.details.push_back(
            {outcome.code, outcome.displayName, std::string(kEpsErrorCodeSystem)});
    }
    application.fromAsid = facts.receiverAsid;
    application.toAsid = facts.senderAsid;

    // Part 1 is an Acknowledgment envelope (with eb:Acknowledgment), which ebxml::buildMessage
    // does not write, so the two parts are put together here.
    mime::Multipart multipart;
    mime::Part envelope;
    envelope.contentId = std::string(kEnvelopeContentId);
    envelope.contentType = "text/xml; charset=UTF-8";
    envelope.body = ebxml::buildAcknowledgment(ack);
    mime::Part payload;
    payload.contentId = application.messageId + "@spine.nhs.uk";
    payload.contentType = "text/xml; charset=UTF-8";
    payload.body = hl7::buildApplicationAck(application);
    multipart.parts.push_back(std::move(envelope));
    multipart.parts.push_back(std::move(payload));
    return {200, mime::contentTypeHeader(multipart), {}, mime::serialize(multipart)};
}

MockAction EpsEndpoint::process(const MockRequest& request, const std::string& receivedAt) {
    Received received;
    received.interaction = interactionFromSoapAction(request.header("SOAPAction"));
    const std::string contentType = request.header("Content-Type");

    auto multipart = mime::parse(contentType, request.body);
    if (!multipart || multipart->parts.empty()) {
        const std::string why = multipart ? "no body parts" : multipart.error().describe();
        return reject(received, "MimeProblem", "500:Unparseable MIME multipart body (" + why + ")",
                      receivedAt);
    }
    const auto& parts = multipart->parts;
    const auto start = std::find_if(parts.begin(), parts.end(), [&](const mime::Part& part) {
        return part.contentId == multipart->start;
    });
    const mime::Part& envelopePart = start != parts.end() ? *start : parts.front();
    auto document = xml::parse(envelopePart.body);
    if (!document) {
        return reject(received, "OtherXml", "500:SOAP envelope is not well-formed XML", receivedAt);
    }
    // Read with our own XPath first, so that what we answer does not depend on how lenient the
    // shared envelope parser is about the MessageId.
    received.fromPartyId = document->text(kHeaderPath + "eb:From/eb:PartyId").value_or("");
    received.cpaId = document->text(kHeaderPath + "eb:CPAId").value_or("");
    received.conversationId = document->text(kHeaderPath + "eb:ConversationId").value_or("");
    if (auto action = document->text(kHeaderPath + "eb:Action")) {
        received.interaction = *action;
    }
    const auto messageId = document->text(kHeaderPath + "eb:MessageData/eb:MessageId");
    if (!messageId || !rules::isUpperCaseUuid(*messageId)) {
        return reject(received, "ValueNotRecognized", "500:Missing or malformed eb:MessageId",
                      receivedAt);
    }
    received.messageId = *messageId;

    auto message = ebxml::parseMessage(contentType, request.body);
    if (!message) {
        return reject(received, "Inconsistent", "500:" + message.error().describe(), receivedAt);
    }
    const auto& header = message->header;
    if (header.cpaId != m_config.cpaId) {
        return reject(received, "ValueNotRecognized", "501319:Unknown eb:CPAId", receivedAt);
    }
    if (header.toPartyId != m_config.partyKey) {
        return reject(received, "ValueNotRecognized", "500:Unknown eb:To/eb:PartyId", receivedAt);
    }
    if (!m_config.knownSenders.empty() &&
        std::find(m_config.knownSenders.begin(), m_config.knownSenders.end(), header.fromPartyId) ==
            m_config.knownSenders.end()) {
        return reject(received, "ValueNotRecognized", "500:Unknown eb:From/eb:PartyId", receivedAt);
    }
    const std::string soapAction = unquote(request.header("SOAPAction"));
    if (soapAction.empty()) {
        return reject(received, "Inconsistent", "500:SOAPAction header is missing", receivedAt);
    }
    if (header.service.rfind(kNhsServicePrefix, 0) != 0 ||
        soapAction != header.service + "/" + header.action) {
        return reject(received, "Inconsistent",
                      "500:SOAPAction does not match eb:Service and eb:Action", receivedAt);
    }
    if (header.service != kEpsService || header.action != kParentPrescription) {
        return reject(received, "ValueNotRecognized",
                      "500:Unsupported interaction " + header.service + "/" + header.action,
                      receivedAt);
    }

    std::lock_guard lock(m_processMutex);
    auto previous = m_store.findReply(received.messageId);
    if (!previous) {
        return systemFailure(received, receivedAt, previous.error().describe());
    }
    if (*previous) {
        const StoredReply& original = **previous;
        journal(received, "replayed", original.replyCode, receivedAt);
        return MockAction::answer({original.status, original.contentType, {}, original.body});
    }

    PrescriptionFacts facts;
    AckOutcome outcome = acceptedOutcome();
    if (auto read = readPrescriptionFacts(message->payload); !read) {
        outcome = unableToProcess("payload is not well-formed XML");
    } else {
        facts = std::move(*read);
        if (auto violation = findRuleViolation(facts)) {
            outcome = std::move(*violation);
        } else {
            auto owner = m_store.prescriptionAcceptedBy(*facts.prescriptionId);
            if (!owner) {
                return systemFailure(received, receivedAt, owner.error().describe());
            }
            if (*owner) {
                outcome = duplicatePrescriptionOutcome();
            }
        }
    }

    MockReply reply = applicationReply(received, facts, outcome);
    const StoredReply stored{reply.status, reply.contentType, reply.body, outcome.replyCode()};
    const JournalEntry entry{0,           received.messageId,  received.interaction,
                             "processed", outcome.replyCode(), receivedAt};
    std::optional<std::string> accepted;
    if (outcome.accepted) {
        accepted = facts.prescriptionId;
    }
    if (auto committed = m_store.recordProcessed(entry, stored, accepted); !committed) {
        return systemFailure(received, receivedAt, committed.error().describe());
    }
    m_log.information("MessageId=%s interaction=%s outcome=processed reply=%s", received.messageId,
                      received.interaction, outcome.replyCode());
    return MockAction::answer(std::move(reply));
}

} // namespace gp::mock
