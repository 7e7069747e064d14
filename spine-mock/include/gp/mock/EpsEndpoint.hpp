#pragma once

#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/ids/RandomSource.hpp>
#include <gp/mock/Clock.hpp>
#include <gp/mock/EpsRules.hpp>
#include <gp/mock/EpsState.hpp>
#include <gp/mock/FaultPlan.hpp>
#include <gp/mock/MockConfig.hpp>
#include <gp/mock/MockExchange.hpp>
#include <gp/mock/MockStore.hpp>
#include <gp/mock/SpineReplies.hpp>
#include <gp/mock/Waiter.hpp>

#include <Poco/Logger.h>

#include <mutex>
#include <optional>
#include <string>

namespace gp::mock {

/// Spine's EPS reliable-messaging endpoint (POST /reliablemessaging/reliablerequest) without
/// sockets: injected faults first, then strict transport checks, replay detection, and Spine's
/// ParentPrescription and CancellationRequest rules, with cancellations that arrive before their
/// prescription held until it lands. A reply can be deferred (mock.deferredReplies, or a
/// "deferred" fault): 202 with a Content-Location that poll() answers. Safe to call from several
/// request threads.
class EpsEndpoint {
public:
    EpsEndpoint(const MockConfig& config, MockStore& store, FaultPlan& faults, const Clock& clock,
                messaging::ids::RandomSource& random, Waiter& waiter);

    MockAction handle(const MockRequest& request);

    /// GET /_poll/<token>: 202 and the same Content-Location while polls are left, then the
    /// deferred reply itself (and again on every later poll); 404 for an unknown token.
    MockAction poll(const MockRequest& request);

    /// POST /_admin/eps/dispensed and /_admin/eps/with-dispenser: {"prescriptionId",
    /// "lineItemId"} (and "dispenserOds" for with-dispenser) sets an accepted item's state, so
    /// that a cancellation of it is answered 0004 or 0002. 404 for an item the mock has not
    /// accepted; 400 naming a bad field.
    MockReply setItemState(const MockRequest& request, const std::string& state);

private:
    /// `deferPolls`: answer 202 and a poll address, the first N polls getting 202 again.
    MockAction process(const MockRequest& request, const std::string& receivedAt,
                       std::optional<int> deferPolls);
    /// What the payload says, and Spine's rules on it where they need nothing stored (a
    /// ruling); read before m_processMutex is taken, since it depends on no other message.
    struct PayloadReading {
        PrescriptionFacts prescription;
        std::optional<AckOutcome> prescriptionRuling;
        CancellationFacts cancellation;
        std::optional<CancellationOutcome> cancellationRuling;
    };
    static PayloadReading readPayload(const messaging::ebxml::Message& message);
    /// The replay check, the rules needing the store and the staging of the reply, under
    /// m_processMutex.
    MockAction processInOrder(const ReceivedHeader& received,
                              const messaging::ebxml::Message& message,
                              const PayloadReading& reading, const std::string& receivedAt,
                              std::optional<int> deferPolls);
    MockAction processCancellation(const ReceivedHeader& received, const PayloadReading& reading,
                                   const std::string& receivedAt, std::optional<int> deferPolls);
    MockReply cancellationReply(const ReceivedHeader& received, const CancellationFacts& facts,
                                const CancellationOutcome& outcome);
    /// Stores a poll token for the reply just committed and answers 202 (or the reply itself
    /// when the token cannot be stored).
    MockAction deferred(const ReceivedHeader& received, MockReply reply, int polls,
                        const std::string& receivedAt);
    MockAction reject(const ReceivedHeader& received, const std::string& errorCode,
                      const std::string& description, const std::string& receivedAt);
    MockAction systemFailure(const ReceivedHeader& received, const std::string& receivedAt,
                             const std::string& why);
    MockReply applicationReply(const ReceivedHeader& received, const PrescriptionFacts& facts,
                               const AckOutcome& outcome);
    void journal(const ReceivedHeader& received, const std::string& outcome,
                 const std::string& replyCode, const std::string& receivedAt);

    const MockConfig& m_config;
    MockStore& m_store;
    FaultPlan& m_faults;
    const Clock& m_clock;
    Waiter& m_waiter;
    SpineReplies m_replies;
    EpsState m_eps;
    Poco::Logger& m_log;
    // Replay check, rules and the staging of the reply happen under one lock, so that two copies
    // of a message arriving together are processed once.
    std::mutex m_processMutex;
};

} // namespace gp::mock
