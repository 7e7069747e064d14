#pragma once

#include <gp/messaging/ids/RandomSource.hpp>
#include <gp/mock/Clock.hpp>
#include <gp/mock/EpsRules.hpp>
#include <gp/mock/FaultPlan.hpp>
#include <gp/mock/MockConfig.hpp>
#include <gp/mock/MockExchange.hpp>
#include <gp/mock/MockStore.hpp>
#include <gp/mock/SpineReplies.hpp>
#include <gp/mock/Waiter.hpp>

#include <Poco/Logger.h>

#include <mutex>
#include <string>

namespace gp::mock {

/// Spine's EPS reliable-messaging endpoint (POST /reliablemessaging/reliablerequest) without
/// sockets: injected faults first, then strict transport checks, replay detection, and Spine's
/// ParentPrescription rules. Safe to call from several request threads.
class EpsEndpoint {
public:
    EpsEndpoint(const MockConfig& config, MockStore& store, FaultPlan& faults, const Clock& clock,
                messaging::ids::RandomSource& random, Waiter& waiter);

    MockAction handle(const MockRequest& request);

private:
    MockAction process(const MockRequest& request, const std::string& receivedAt);
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
    Poco::Logger& m_log;
    // Replay check, rules and the store commit happen under one lock, so that two copies of a
    // message arriving together are processed once.
    std::mutex m_processMutex;
};

} // namespace gp::mock
