#include <gp/messaging/gp2gp/Gp2gp.hpp>
#include <gp/mock/ForwardEndpoint.hpp>
#include <gp/mock/Gp2gpInteractions.hpp>
#include <gp/mock/TransportChecks.hpp>

namespace gp::mock {

namespace {

namespace ebxml = messaging::ebxml;

constexpr const char* kInbound = "inbound";

std::int64_t epochMillis(TimePoint time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

} // namespace

ForwardEndpoint::ForwardEndpoint(const MockConfig& config, MockStore& store, FaultPlan& faults,
                                 const Clock& clock, messaging::ids::RandomSource& random,
                                 Waiter& waiter, std::function<void()> accepted)
    : m_config(config), m_store(store), m_faults(faults), m_clock(clock), m_waiter(waiter),
      m_replies(config, clock, random), m_accepted(std::move(accepted)),
      m_log(Poco::Logger::get("spine-mock.gp2gp")) {}

void ForwardEndpoint::journal(const ReceivedHeader& received, const std::string& recipient,
                              const std::string& outcome, const std::string& replyCode,
                              const std::string& receivedAt) {
    const JournalEntry entry{0,        received.messageId, received.interaction,
                             outcome,  replyCode,          receivedAt,
                             kInbound, recipient};
    if (auto stored = m_store.appendJournal(entry); !stored) {
        m_log.error("journal write failed for MessageId %s: %s", received.messageId,
                    stored.error().describe());
    }
    m_log.information("MessageId=%s interaction=%s to=%s outcome=%s reply=%s", received.messageId,
                      received.interaction, recipient, outcome, replyCode);
}

MockAction ForwardEndpoint::handle(const MockRequest& request) {
    const std::string receivedAt = formatIsoMillis(m_clock.now());
    const std::string interaction =
        transport::interactionFromSoapAction(request.header("SOAPAction"));
    if (auto fault = m_faults.take(interaction, Leg::Inbound)) {
        if (fault->type != Fault::Type::Delay) {
            const ReceivedHeader received = transport::peekHeader(request);
            std::string replyCode;
            auto action = m_replies.injectedFault(*fault, received, m_waiter, replyCode);
            journal(received, "", "fault", replyCode, receivedAt);
            return action;
        }
        m_waiter.waitFor(std::chrono::milliseconds(fault->milliseconds));
    }
    return process(request, receivedAt);
}

MockAction ForwardEndpoint::reject(const ReceivedHeader& received, const std::string& recipient,
                                   const std::string& errorCode, const std::string& description,
                                   const std::string& receivedAt) {
    journal(received, recipient, "rejected", errorCode, receivedAt);
    return MockAction::answer(m_replies.messageError(received, errorCode, description));
}

MockAction ForwardEndpoint::process(const MockRequest& request, const std::string& receivedAt) {
    ReceivedHeader received;
    auto read = transport::readMessage(request, received);
    if (const auto* rejection = std::get_if<transport::Rejection>(&read)) {
        return reject(received, "", rejection->errorCode, rejection->description, receivedAt);
    }
    const auto& header = std::get<ebxml::Message>(read).header;
    if (auto rejection = transport::checkSoapAction(request, header)) {
        return reject(received, "", rejection->errorCode, rejection->description, receivedAt);
    }
    const Gp2gpInteraction* interaction = findGp2gpInteraction(header.action);
    if (header.service != messaging::gp2gp::kService || interaction == nullptr) {
        return reject(received, "", "ValueNotRecognized",
                      "500:Unsupported interaction " + header.service + "/" + header.action,
                      receivedAt);
    }
    if (header.cpaId != interaction->cpaId) {
        return reject(received, "", "ValueNotRecognized", "501319:Unknown eb:CPAId", receivedAt);
    }

    const auto systemFailure = [&](const std::string& recipient, const Error& why) {
        // What Spine does when it cannot store a message: a retriable SOAP fault, code 200.
        m_log.error("MessageId %s not accepted: %s", received.messageId, why.describe());
        journal(received, recipient, "rejected", "200", receivedAt);
        return MockAction::answer(m_replies.systemFailure());
    };
    auto to = m_store.practiceByPartyKey(header.toPartyId);
    if (!to) {
        return systemFailure("", to.error());
    }
    if (!*to) {
        return reject(received, "", "ValueNotRecognized",
                      "500:Unknown To party " + header.toPartyId, receivedAt);
    }
    const std::string recipient = (*to)->odsCode;
    auto from = m_store.practiceByPartyKey(header.fromPartyId);
    if (!from) {
        return systemFailure(recipient, from.error());
    }
    if (!*from) {
        return reject(received, recipient, "ValueNotRecognized",
                      "500:Unknown From party " + header.fromPartyId, receivedAt);
    }
    if (!header.duplicateElimination || header.ackRequested != ebxml::AckRequested::NextMsh ||
        header.syncReply) {
        return reject(received, recipient, "Inconsistent",
                      "500:forward reliable needs eb:DuplicateElimination, eb:AckRequested with "
                      "actor nextMSH and no eb:SyncReply",
                      receivedAt);
    }

    std::lock_guard lock(m_acceptMutex);
    auto previous = m_store.findForwardAck(received.messageId);
    if (!previous) {
        return systemFailure(recipient, previous.error());
    }
    if (*previous) {
        const StoredReply& original = **previous;
        journal(received, recipient, "replayed", original.replyCode, receivedAt);
        return MockAction::answer({original.status, original.contentType, {}, original.body});
    }

    MockReply ack = m_replies.acknowledgment(received, 202);
    const auto now = epochMillis(m_clock.now());
    ForwardRecord forward;
    forward.messageId = received.messageId;
    forward.interaction = header.action;
    forward.conversationId = header.conversationId;
    forward.sender = (*from)->odsCode;
    forward.recipient = recipient;
    forward.contentType = request.header("Content-Type");
    forward.soapAction = request.header("SOAPAction");
    forward.body = request.body;
    forward.acceptedAt = now;
    forward.nextAttemptAt = now;
    forward.expiresAt = now + m_config.persistDuration(header.action).count();
    const JournalEntry entry{
        0,        received.messageId, received.interaction, "accepted", "202", receivedAt,
        kInbound, recipient};
    if (auto stored =
            m_store.recordAccepted(entry, forward, {ack.status, ack.contentType, ack.body, "202"});
        !stored) {
        return systemFailure(recipient, stored.error());
    }
    m_log.information("MessageId=%s interaction=%s to=%s outcome=accepted", received.messageId,
                      received.interaction, recipient);
    if (m_accepted) {
        m_accepted();
    }
    return MockAction::answer(std::move(ack));
}

} // namespace gp::mock
