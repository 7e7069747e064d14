#pragma once

#include <gp/messaging/ids/RandomSource.hpp>
#include <gp/mock/Clock.hpp>
#include <gp/mock/FaultRule.hpp>
#include <gp/mock/MockConfig.hpp>
#include <gp/mock/MockExchange.hpp>
#include <gp/mock/Waiter.hpp>

#include <mutex>
#include <string>

namespace gp::mock {

/// What could be read of a request's ebXML header, for error replies, acknowledgements and the
/// journal. Fields stay empty until read; messageId only once it is a valid upper-case UUID.
struct ReceivedHeader {
    std::string messageId;
    std::string interaction;
    std::string fromPartyId;
    std::string toPartyId;
    std::string cpaId;
    std::string conversationId;
};

/// The replies Spine's message handler writes itself (not application replies): the ebXML
/// Acknowledgment, MessageError, the retriable system-failure SOAP fault, and injected faults.
/// Errors come from mock.partyKey; every reply is addressed to the sender. Thread-safe.
class SpineReplies {
public:
    SpineReplies(const MockConfig& config, const Clock& clock,
                 messaging::ids::RandomSource& random);

    /// A new upper-case UUID for a reply's MessageId.
    std::string newId();

    /// HTTP 500, text/xml ebXML MessageError with one eb:Error.
    MockReply messageError(const ReceivedHeader& received, const std::string& errorCode,
                           const std::string& description);
    /// HTTP 500, text/xml SOAP fault with code 200: what Spine says when it cannot store a message.
    MockReply systemFailure();
    /// The given status, text/xml ebXML Acknowledgment of the received MessageId, From and To
    /// swapped relative to the received message.
    MockReply acknowledgment(const ReceivedHeader& received, int status);

    /// What an injected inbound fault (any type but Delay) does to the request. `replyCode` is
    /// set to what the journal records for it (503, 200,206, ValueNotRecognized, reset, hang).
    /// A hang waits on `waiter` before the connection is closed.
    MockAction injectedFault(const Fault& fault, const ReceivedHeader& received, Waiter& waiter,
                             std::string& replyCode);

private:
    const MockConfig& m_config;
    const Clock& m_clock;
    messaging::ids::RandomSource& m_random;
    std::mutex m_idMutex;
};

} // namespace gp::mock
