#pragma once

// The campaign's mixed traffic and the ledger of what the agents accepted (answered 202): the
// ledger is what the final checks hold the agents and spine-mock to.

#include "ChaosWorld.hpp"
#include "SeededRandom.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gp::chaos {

struct Prescription {
    int agent = 0;
    std::string messageId;
    std::string prescriptionId;
    std::string lineItemId;
    bool cancelRequested = false;
};

struct Cancellation {
    int agent = 0;
    std::string messageId;
};

struct SourceDocument {
    std::string file;
    std::string contentType;
    std::string bytes;
};

struct Transfer {
    std::string conversationId;
    std::string nhsNumber;
    std::vector<SourceDocument> documents;
};

struct Referral {
    int agent = 0;
    std::string requestId;
};

struct Ledger {
    std::vector<Prescription> prescriptions;
    std::vector<Cancellation> cancellations;
    std::vector<Transfer> transfers;
    std::vector<Referral> referrals;
    /// Submissions not answered 202, by cause ("HTTP 503", "unreachable"): the agent was down,
    /// dying or starting. Nothing is owed for them.
    std::map<std::string, int> notAccepted;

    std::size_t accepted() const {
        return prescriptions.size() + cancellations.size() + transfers.size() + referrals.size();
    }
};

class Traffic {
public:
    Traffic(World& world, test::SeededRandom& random, Ledger& ledger);

    /// A random mix for one round: prescriptions, perhaps a cancellation, a GP2GP transfer and
    /// an e-RS referral, to either agent.
    void burst();
    /// One prescription to one agent: keeps an armed agent busy until its tripwire fires.
    /// Returns whether the agent accepted it.
    bool prescribe(int agent);

private:
    void cancel(int agent);
    void requestTransfer();
    void refer(int agent);
    /// POSTs and returns the reply's body when the agent answered 202; else counts the cause.
    std::optional<std::string> post(int agent, const std::string& path, const std::string& json);
    /// post(), then the reply's `field`; "" when not accepted.
    std::string accepted(int agent, const std::string& path, const std::string& json,
                         const std::string& field);

    std::string uuid();
    std::string nhsNumber();
    std::string randomBytes(std::size_t size);
    int pick(int below) {
        return static_cast<int>(m_random.nextU64() % static_cast<unsigned>(below));
    }

    World& m_world;
    test::SeededRandom& m_random;
    Ledger& m_ledger;
    std::vector<std::filesystem::path> m_letters;
};

} // namespace gp::chaos
