#include <gp/messaging/ebxml/Envelope.hpp>
#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/hl7/ApplicationAck.hpp>
#include <gp/messaging/mime/Multipart.hpp>
#include <gp/mock/EpsEndpoint.hpp>
#include <gp/mock/TransportChecks.hpp>

#include <algorithm>

namespace gp::mock {

namespace {

namespace ebxml = messaging::ebxml;
namespace hl7 = messaging::hl7;
namespace mime = messaging::mime;

constexpr std::string_view kEnvelopeContentId = "ebXMLHeader@spine.nhs.uk";

std::chrono::sys_seconds wholeSeconds(TimePoint time) {
    return std::chrono::floor<std::chrono::seconds>(time);
}

} // namespace

EpsEndpoint::EpsEndpoint(const MockConfig& config, MockStore& store, FaultPlan& faults,
                         const Clock& clock, messaging::ids::RandomSource& random, Waiter& waiter)
    : m_config(config), m_store(store), m_faults(faults), m_clock(clock), m_waiter(waiter),
      m_replies(config, clock, random), m_log(Poco::Logger::get("spine-mock.eps")) {}

void EpsEndpoint::journal(const ReceivedHeader& received, const std::string& outcome,
                          const std::string& replyCode, const std::string& receivedAt) {
    const JournalEntry entry{
        0, received.messageId, received.interaction, outcome, replyCode, receivedAt, "", ""};
    if (auto stored = m_store.appendJournal(entry); !stored) {
        m_log.error("journal write failed for MessageId %s: %s", received.messageId,
                    stored.error().describe());
    }
    m_log.information("MessageId=%s interaction=%s outcome=%s reply=%s", received.messageId,
                      received.interaction, outcome, replyCode);
}

MockAction EpsEndpoint::handle(const MockRequest& request) {
    const std::string receivedAt = formatIsoMillis(m_clock.now());
    const std::string interaction =
        transport::interactionFromSoapAction(request.header("SOAPAction"));
    if (auto fault = m_faults.take(interaction)) {
        if (fault->type != Fault::Type::Delay) {
            // The request is not processed, but its MessageId is read if it can be so that the
            // journal shows which attempt was faulted.
            const ReceivedHeader received = transport::peekHeader(request);
            std::string replyCode;
            auto action = m_replies.injectedFault(*fault, received, m_waiter, replyCode);
            journal(received, "fault", replyCode, receivedAt);
            return action;
        }
        m_log.information("injected delay of %d ms for interaction %s", fault->milliseconds,
                          interaction);
        m_waiter.waitFor(std::chrono::milliseconds(fault->milliseconds));
    }
    return process(request, receivedAt);
}

MockAction EpsEndpoint::reject(const ReceivedHeader& received, const std::string& errorCode,
                               const std::string& description, const std::string& receivedAt) {
    journal(received, "rejected", errorCode, receivedAt);
    return MockAction::answer(m_replies.messageError(received, errorCode, description));
}

MockAction EpsEndpoint::systemFailure(const ReceivedHeader& received, const std::string& receivedAt,
                                      const std::string& why) {
    // What Spine does when it cannot store a message: a retriable SOAP fault, code 200.
    m_log.error("MessageId %s not processed: %s", received.messageId, why);
    journal(received, "rejected", "200", receivedAt);
    return MockAction::answer(m_replies.systemFailure());
}

MockReply EpsEndpoint::applicationReply(const ReceivedHeader& received,
                                        const PrescriptionFacts& facts, const AckOutcome& outcome) {
    const auto now = wholeSeconds(m_clock.now());
    hl7::ApplicationAckSpec application;
    application.messageId = m_replies.newId();
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
    envelope.body = m_replies.acknowledgment(received, 200).body;
    mime::Part payload;
    payload.contentId = application.messageId + "@spine.nhs.uk";
    payload.contentType = "text/xml; charset=UTF-8";
    payload.body = hl7::buildApplicationAck(application);
    multipart.parts.push_back(std::move(envelope));
    multipart.parts.push_back(std::move(payload));
    return {200, mime::contentTypeHeader(multipart), {}, mime::serialize(multipart)};
}

MockAction EpsEndpoint::process(const MockRequest& request, const std::string& receivedAt) {
    ReceivedHeader received;
    auto read = transport::readMessage(request, received);
    if (const auto* rejection = std::get_if<transport::Rejection>(&read)) {
        return reject(received, rejection->errorCode, rejection->description, receivedAt);
    }
    const auto& message = std::get<ebxml::Message>(read);
    const auto& header = message.header;
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
    if (auto rejection = transport::checkSoapAction(request, header)) {
        return reject(received, rejection->errorCode, rejection->description, receivedAt);
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
    if (auto parsedFacts = readPrescriptionFacts(message.payload); !parsedFacts) {
        outcome = unableToProcess("payload is not well-formed XML");
    } else {
        facts = std::move(*parsedFacts);
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
    const JournalEntry entry{0,
                             received.messageId,
                             received.interaction,
                             "processed",
                             outcome.replyCode(),
                             receivedAt,
                             "",
                             ""};
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
