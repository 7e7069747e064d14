#pragma once

#include <gp/messaging/ids/RandomSource.hpp>
#include <gp/mock/Clock.hpp>
#include <gp/mock/FaultPlan.hpp>
#include <gp/mock/MockConfig.hpp>
#include <gp/mock/MockExchange.hpp>
#include <gp/mock/MockStore.hpp>
#include <gp/mock/SpineReplies.hpp>
#include <gp/mock/Waiter.hpp>

#include <Poco/Logger.h>

#include <functional>
#include <mutex>
#include <string>

namespace gp::mock {

/// Spine's forward-reliable endpoint for GP2GP (POST /reliablemessaging/forwardreliable)
/// without sockets: inbound faults, the same transport checks as the EPS endpoint, a registered
/// sender and recipient, replay detection, then a durable store of the exact bytes and 202 with
/// an ebXML Acknowledgment. Delivery to the recipient is the Forwarder's job; `accepted` wakes it.
class ForwardEndpoint {
public:
    ForwardEndpoint(const MockConfig& config, MockStore& store, FaultPlan& faults,
                    const Clock& clock, messaging::ids::RandomSource& random, Waiter& waiter,
                    std::function<void()> accepted);

    MockAction handle(const MockRequest& request);

private:
    MockAction process(const MockRequest& request, const std::string& receivedAt);
    MockAction reject(const ReceivedHeader& received, const std::string& recipient,
                      const std::string& errorCode, const std::string& description,
                      const std::string& receivedAt);
    void journal(const ReceivedHeader& received, const std::string& recipient,
                 const std::string& outcome, const std::string& replyCode,
                 const std::string& receivedAt);

    const MockConfig& m_config;
    MockStore& m_store;
    FaultPlan& m_faults;
    const Clock& m_clock;
    Waiter& m_waiter;
    SpineReplies m_replies;
    std::function<void()> m_accepted;
    Poco::Logger& m_log;
    // The replay check and the store commit happen under one lock, so that two copies of a
    // message arriving together are accepted (and forwarded) once.
    std::mutex m_acceptMutex;
};

} // namespace gp::mock
