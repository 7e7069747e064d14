#pragma once

#include <gp/messaging/ids/RandomSource.hpp>
#include <gp/mock/Clock.hpp>
#include <gp/mock/ErsDirectory.hpp>
#include <gp/mock/ErsRateLimiter.hpp>
#include <gp/mock/ErsStore.hpp>
#include <gp/mock/FaultPlan.hpp>
#include <gp/mock/MockConfig.hpp>
#include <gp/mock/MockExchange.hpp>
#include <gp/mock/MockStore.hpp>
#include <gp/mock/Waiter.hpp>

#include <Poco/Logger.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace gp::mock {

/// The e-Referral Service's FHIR STU3 API for a referring GP system (/referrals/FHIR/STU3/...)
/// and its admin calls (/_admin/ers/...), without sockets: rate limit, injected faults, header
/// checks, then the operation (A010, A011, A005, A020, A012, A036, A008) on the referrals kept
/// in the store. Safe to call from several request threads.
class ErsEndpoint {
public:
    ErsEndpoint(const MockConfig& config, MockStore& store, FaultPlan& faults, const Clock& clock,
                messaging::ids::RandomSource& random, Waiter& waiter);

    /// True for the paths handle() answers.
    static bool serves(std::string_view path);

    MockAction handle(const MockRequest& request);

    ErsStore& store() { return m_store; }

private:
    struct Call; // one request on its way through (ErsEndpoint.cpp)

    MockAction admin(const MockRequest& request);
    MockReply listReferrals(const MockRequest& request);
    MockReply lock(const MockRequest& request);

    MockReply dispatch(Call& call);
    MockReply searchServices(Call& call);
    MockReply createReferral(Call& call);
    MockReply readReferral(Call& call);
    MockReply uploadBinary(Call& call);
    MockReply maintainLetter(Call& call);
    MockReply cancelReferral(Call& call);
    MockReply fetchWorklist(Call& call);

    MockReply referralReply(int status, const ErsReferral& referral, Call& call);
    /// The checks A012 and A036 share: known UBRN, If-Match, lock, version, not cancelled.
    std::optional<MockReply> checkUpdatable(Call& call, const std::optional<ErsReferral>& found);
    void journal(const Call& call, const std::string& outcome, const std::string& replyCode);
    std::string newUbrn();
    std::string newBinaryId();

    ErsStore m_store;
    ErsDirectory m_directory;
    ErsRateLimiter m_rateLimiter;
    FaultPlan& m_faults;
    const Clock& m_clock;
    messaging::ids::RandomSource& m_random;
    Waiter& m_waiter;
    Poco::Logger& m_log;
    // Reads, checks and writes of one operation happen under this lock, so that two updates of
    // one referral cannot both pass the version check.
    std::mutex m_processMutex;
    std::mutex m_lockMutex;
    std::map<std::string, int> m_locks; // UBRN -> requests left to refuse with 423
};

} // namespace gp::mock
