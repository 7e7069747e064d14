#pragma once

// The end of a campaign: wait until nothing is in flight, then hold the agents and spine-mock to
// the invariants (docs/reliability.md, "Crash campaign") and count what happened.

#include "ChaosTraffic.hpp"
#include "ChaosWorld.hpp"

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace gp::chaos {

/// What the campaign did to the processes.
struct CrashCounts {
    int agentKills = 0;      // SIGKILL of either agent
    int mockKills = 0;       // SIGKILL of spine-mock
    int tripwireAborts = 0;  // an armed agent aborted itself at its Nth store transition
    int tripwireUnfired = 0; // an armed agent reached no Nth transition in time (then killed)

    int total() const { return agentKills + mockKills + tripwireAborts; }
};

struct Figures {
    std::map<std::string, long long> outboxByState;   // every agent's outbox, by final state
    std::map<std::string, long long> endedWithReason; // failed/expired, by their reason code
    long long epsProcessed = 0;       // EPS messages spine-mock processed (once each)
    long long replaysAnswered = 0;    // resends spine-mock answered with the stored reply
    long long hubAccepted = 0;        // GP2GP messages the hub accepted (once each)
    long long receiverDuplicates = 0; // duplicates a receiving agent recognised and dropped
    long long referralsMade = 0;      // referrals in e-RS
    int recordsIdentical = 0;
    int recordsClosed = 0;
    int transfersFailed = 0;
    int referralsFailed = 0;
    long long lost = 0;
    long long processedTwice = 0;
};

class Checks {
public:
    Checks(World& world, const Ledger& ledger) : m_world(world), m_ledger(ledger) {}

    /// Waits until every outbox message, transfer, referral, inbound message and hub delivery
    /// has ended. Returns false, with a violation naming what is stuck, on timeout.
    bool drain(std::chrono::seconds timeout);
    /// Every invariant; violations() lists what broke.
    void verify();

    const Figures& figures() const { return m_figures; }
    const std::vector<std::string>& violations() const { return m_violations; }

private:
    std::vector<std::string> inFlight();
    void checkOutboxes();
    void checkLedger();
    void checkSpineJournal();
    void checkReferralsInErs();
    void checkAuditTrails();
    void violation(std::string text);

    World& m_world;
    const Ledger& m_ledger;
    Figures m_figures;
    std::vector<std::string> m_violations;
};

} // namespace gp::chaos
