#include <gp/messaging/ebxml/Envelope.hpp>
#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/eps/Cancellation.hpp>
#include <gp/messaging/hl7/ApplicationAck.hpp>
#include <gp/messaging/mime/Multipart.hpp>
#include <gp/mock/AdminApi.hpp>
#include <gp/mock/EpsEndpoint.hpp>
#include <gp/mock/TransportChecks.hpp>

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <sstream>

namespace gp::mock {

namespace {

namespace ebxml = messaging::ebxml;
namespace hl7 = messaging::hl7;
namespace mime = messaging::mime;

constexpr std::string_view kEnvelopeContentId = "ebXMLHeader@spine.nhs.uk";
constexpr std::string_view kPollPrefix = "/_poll/";

// Spine's answer on the same connection: an Acknowledgment envelope and the HL7 payload, in one
// multipart body. ebxml::buildMessage does not write an eb:Acknowledgment, so the parts are put
// together here.
MockReply acknowledgedWith(std::string envelopeBody, const std::string& payloadId,
                           std::string payloadBody) {
    mime::Multipart multipart;
    mime::Part envelope;
    envelope.contentId = std::string(kEnvelopeContentId);
    envelope.contentType = "text/xml; charset=UTF-8";
    envelope.body = std::move(envelopeBody);
    mime::Part payload;
    payload.contentId = payloadId + "@spine.nhs.uk";
    payload.contentType = "text/xml; charset=UTF-8";
    payload.body = std::move(payloadBody);
    multipart.parts.push_back(std::move(envelope));
    multipart.parts.push_back(std::move(payload));
    return {200, mime::contentTypeHeader(multipart), {}, mime::serialize(multipart)};
}

std::string jsonText(const Poco::JSON::Object& object, const std::string& name) {
    if (!object.has(name) || !object.get(name).isString()) {
        return {};
    }
    return object.getValue<std::string>(name);
}

std::chrono::sys_seconds wholeSeconds(TimePoint time) {
    return std::chrono::floor<std::chrono::seconds>(time);
}

} // namespace

EpsEndpoint::EpsEndpoint(const MockConfig& config, MockStore& store, FaultPlan& faults,
                         const Clock& clock, messaging::ids::RandomSource& random, Waiter& waiter)
    : m_config(config), m_store(store), m_faults(faults), m_clock(clock), m_waiter(waiter),
      m_replies(config, clock, random), m_eps(store), m_log(Poco::Logger::get("spine-mock.eps")) {}

void EpsEndpoint::journal(const ReceivedHeader& received, const std::string& outcome,
                          const std::string& replyCode, const std::string& receivedAt) {
    const JournalEntry entry{
        0, received.messageId, received.interaction, outcome, replyCode, receivedAt, "", ""};
    if (auto stored = m_store.appendJournal(entry); !stored) {
        m_log.error("journal write failed for MessageId %s: %s", received.messageId,
                    stored.error().describe());
    }
    // Poco formats a message before it checks the level: this runs for every request.
    if (m_log.information()) {
        m_log.information("MessageId=%s interaction=%s outcome=%s reply=%s", received.messageId,
                          received.interaction, outcome, replyCode);
    }
}

MockAction EpsEndpoint::handle(const MockRequest& request) {
    const std::string receivedAt = formatIsoMillis(m_clock.now());
    const std::string interaction =
        transport::interactionFromSoapAction(request.header("SOAPAction"));
    std::optional<int> deferPolls;
    if (std::find(m_config.deferredReplies.begin(), m_config.deferredReplies.end(), interaction) !=
        m_config.deferredReplies.end()) {
        deferPolls = 0;
    }
    if (auto fault = m_faults.take(interaction)) {
        if (fault->type == Fault::Type::Deferred) {
            return process(request, receivedAt, fault->polls);
        }
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
    return process(request, receivedAt, deferPolls);
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

    return acknowledgedWith(m_replies.acknowledgment(received, 200).body, application.messageId,
                            hl7::buildApplicationAck(application));
}

MockReply EpsEndpoint::cancellationReply(const ReceivedHeader& received,
                                         const CancellationFacts& facts,
                                         const CancellationOutcome& outcome) {
    messaging::eps::CancellationResponse response;
    response.messageId = m_replies.newId();
    response.creationTime = wholeSeconds(m_clock.now());
    response.messageRef = received.messageId;
    response.cancellationRequestId = facts.cancellationId;
    response.prescriptionId = facts.prescriptionId.value_or("");
    response.lineItemId = facts.lineItemId.value_or("");
    response.code = outcome.code;
    response.displayName = outcome.displayName;
    response.dispenserOds = outcome.dispenserOds;
    response.nhsNumber = facts.nhsNumber.value_or("");
    response.fromAsid = facts.receiverAsid;
    response.toAsid = facts.senderAsid;
    return acknowledgedWith(m_replies.acknowledgment(received, 200).body, response.messageId,
                            messaging::eps::buildCancellationResponse(response));
}

MockAction EpsEndpoint::deferred(const ReceivedHeader& received, MockReply reply, int polls,
                                 const std::string& receivedAt) {
    const std::string token = m_replies.newId();
    if (auto stored = m_eps.addDeferral(token, received.messageId, received.interaction, polls);
        !stored) {
        // The reply is committed; better to give it now than to lose it behind a token.
        m_log.error("cannot defer the reply to MessageId %s: %s", received.messageId,
                    stored.error().describe());
        return MockAction::answer(std::move(reply));
    }
    journal(received, "deferred", "202", receivedAt);
    return MockAction::answer(
        {202, "", {{"Content-Location", std::string(kPollPrefix) + token}}, ""});
}

MockAction EpsEndpoint::poll(const MockRequest& request) {
    const std::string receivedAt = formatIsoMillis(m_clock.now());
    const std::string token =
        request.path.substr(std::min(request.path.size(), std::string(kPollPrefix).size()));
    auto found = m_eps.poll(token);
    if (!found) {
        m_log.error("poll %s failed: %s", token, found.error().describe());
        return MockAction::answer(m_replies.systemFailure());
    }
    if (!*found) {
        return MockAction::answer(errorReply(404, "token", "no deferred reply " + token));
    }
    const DeferredPoll& poll = **found;
    ReceivedHeader received;
    received.messageId = poll.messageId;
    received.interaction = poll.interaction;
    if (poll.pending) {
        journal(received, "polled", "202", receivedAt);
        return MockAction::answer(
            {202, "", {{"Content-Location", std::string(kPollPrefix) + token}}, ""});
    }
    auto reply = m_store.findReply(poll.messageId);
    if (!reply || !*reply) {
        return MockAction::answer(m_replies.systemFailure());
    }
    const StoredReply& original = **reply;
    journal(received, "polled", original.replyCode, receivedAt);
    return MockAction::answer({original.status, original.contentType, {}, original.body});
}

MockReply EpsEndpoint::setItemState(const MockRequest& request, const std::string& state) {
    Poco::JSON::Object::Ptr body;
    try {
        Poco::JSON::Parser parser;
        const auto parsed = parser.parse(request.body);
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
            return errorReply(400, "body", "must be a JSON object");
        }
        body = parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& error) {
        return errorReply(400, "body", "is not valid JSON: " + error.message());
    }
    const std::string prescriptionId = jsonText(*body, "prescriptionId");
    const std::string lineItemId = jsonText(*body, "lineItemId");
    const std::string dispenserOds = jsonText(*body, "dispenserOds");
    if (prescriptionId.empty()) {
        return errorReply(400, "prescriptionId", "is required");
    }
    if (lineItemId.empty()) {
        return errorReply(400, "lineItemId", "is required");
    }
    if (state == "with-dispenser" && dispenserOds.empty()) {
        return errorReply(400, "dispenserOds", "is required");
    }
    auto set = m_eps.setItemState(prescriptionId, lineItemId, state, dispenserOds);
    if (!set) {
        return errorReply(500, "store", set.error().describe());
    }
    if (!*set) {
        return errorReply(404, "lineItemId",
                          "no item " + lineItemId + " of an accepted prescription " +
                              prescriptionId);
    }
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("prescriptionId", prescriptionId);
    out.set("lineItemId", lineItemId);
    out.set("state", state);
    if (!dispenserOds.empty()) {
        out.set("dispenserOds", dispenserOds);
    }
    std::ostringstream text;
    out.stringify(text);
    return jsonReply(200, text.str());
}

EpsEndpoint::PayloadReading EpsEndpoint::readPayload(const ebxml::Message& message) {
    PayloadReading reading;
    if (message.header.action == kCancellationRequest) {
        if (auto parsed = readCancellationFacts(message.payload); !parsed) {
            reading.cancellationRuling = CancellationOutcome{
                "5000", "Unable to process message: payload is not XML", "", "", false};
        } else {
            reading.cancellation = std::move(*parsed);
            reading.cancellationRuling = findCancellationViolation(reading.cancellation);
        }
        return reading;
    }
    if (auto parsed = readPrescriptionFacts(message.payload); !parsed) {
        reading.prescriptionRuling = unableToProcess("payload is not well-formed XML");
    } else {
        reading.prescription = std::move(*parsed);
        reading.prescriptionRuling = findRuleViolation(reading.prescription);
    }
    return reading;
}

MockAction EpsEndpoint::processCancellation(const ReceivedHeader& received,
                                            const PayloadReading& reading,
                                            const std::string& receivedAt,
                                            std::optional<int> deferPolls) {
    const CancellationFacts& facts = reading.cancellation;
    std::optional<CancellationOutcome> outcome = reading.cancellationRuling;
    if (!outcome) {
        auto found = m_eps.lookup(*facts.prescriptionId, *facts.lineItemId);
        if (!found) {
            return systemFailure(received, receivedAt, found.error().describe());
        }
        outcome = decideCancellation(found->prescriptionKnown, found->item);
    }

    MockReply reply = cancellationReply(received, facts, *outcome);
    const StoredReply stored{reply.status, reply.contentType, reply.body, outcome->code};
    const JournalEntry entry{0,
                             received.messageId,
                             received.interaction,
                             outcome->hold ? "held" : "processed",
                             outcome->code,
                             receivedAt,
                             "",
                             ""};
    if (auto committed = m_eps.recordCancellation(entry, stored, facts.prescriptionId.value_or(""),
                                                  facts.lineItemId.value_or(""),
                                                  outcome->newItemState, outcome->hold);
        !committed) {
        return systemFailure(received, receivedAt, committed.error().describe());
    }
    if (m_log.information()) {
        m_log.information("MessageId=%s interaction=%s outcome=%s reply=%s", received.messageId,
                          received.interaction, entry.outcome, outcome->code);
    }
    if (deferPolls) {
        return deferred(received, std::move(reply), *deferPolls, receivedAt);
    }
    return MockAction::answer(std::move(reply));
}

MockAction EpsEndpoint::process(const MockRequest& request, const std::string& receivedAt,
                                std::optional<int> deferPolls) {
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
    if (header.service != kEpsService ||
        (header.action != kParentPrescription && header.action != kCancellationRequest)) {
        return reject(received, "ValueNotRecognized",
                      "500:Unsupported interaction " + header.service + "/" + header.action,
                      receivedAt);
    }

    // The replay check and the staging of what is decided are one step under m_processMutex;
    // reading the payload (before) and waiting for the disk (after) are not, so that requests
    // overlap and the ones behind this one share its commit.
    const PayloadReading reading = readPayload(message);
    DeferredDurability durability(m_store.commits());
    std::unique_lock lock(m_processMutex);
    MockAction action = processInOrder(received, message, reading, receivedAt, deferPolls);
    lock.unlock();
    if (auto onDisk = durability.await(); !onDisk) {
        return systemFailure(received, receivedAt, onDisk.error().describe());
    }
    return action;
}

MockAction EpsEndpoint::processInOrder(const ReceivedHeader& received,
                                       const ebxml::Message& message, const PayloadReading& reading,
                                       const std::string& receivedAt,
                                       std::optional<int> deferPolls) {
    const auto& header = message.header;
    auto previous = m_store.findReply(received.messageId);
    if (!previous) {
        return systemFailure(received, receivedAt, previous.error().describe());
    }
    if (*previous) {
        const StoredReply& original = **previous;
        journal(received, "replayed", original.replyCode, receivedAt);
        return MockAction::answer({original.status, original.contentType, {}, original.body});
    }
    if (header.action == kCancellationRequest) {
        return processCancellation(received, reading, receivedAt, deferPolls);
    }

    const PrescriptionFacts& facts = reading.prescription;
    AckOutcome outcome = reading.prescriptionRuling.value_or(acceptedOutcome());
    if (!reading.prescriptionRuling) {
        auto owner = m_store.prescriptionAcceptedBy(*facts.prescriptionId);
        if (!owner) {
            return systemFailure(received, receivedAt, owner.error().describe());
        }
        if (*owner) {
            outcome = duplicatePrescriptionOutcome();
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
    if (outcome.accepted) {
        // Its items are kept for cancellations, and any cancellation that overtook it is applied
        // now, in the same transaction.
        auto applied =
            m_eps.recordPrescription(entry, stored, *facts.prescriptionId, facts.lineItemIds);
        if (!applied) {
            return systemFailure(received, receivedAt, applied.error().describe());
        }
        for (const JournalEntry& line : *applied) {
            m_log.information("held cancellation MessageId=%s for prescription %s: %s",
                              line.messageId, *facts.prescriptionId, line.outcome);
        }
    } else if (auto committed = m_store.recordProcessed(entry, stored, std::nullopt); !committed) {
        return systemFailure(received, receivedAt, committed.error().describe());
    }
    if (m_log.information()) {
        m_log.information("MessageId=%s interaction=%s outcome=processed reply=%s",
                          received.messageId, received.interaction, outcome.replyCode());
    }
    if (deferPolls) {
        return deferred(received, std::move(reply), *deferPolls, receivedAt);
    }
    return MockAction::answer(std::move(reply));
}

} // namespace gp::mock
