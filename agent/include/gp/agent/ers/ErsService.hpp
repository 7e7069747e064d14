#pragma once

#include <gp/Result.hpp>
#include <gp/agent/Clock.hpp>
#include <gp/agent/config/Settings.hpp>
#include <gp/agent/store/Store.hpp>
#include <gp/messaging/ids/RandomSource.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gp::agent {

/// What the clinical system asks for: a referral for a patient to one of the shortlisted
/// services, optionally with a letter.
struct ErsReferralInput {
    std::string nhsNumber;
    std::vector<std::string> serviceIds;
    std::string letterFile; // path readable by the agent; empty: no letter
    std::string letterContentType = "application/pdf";
};

/// e-Referrals. Each request is a small workflow over the durable outbox: create the referral
/// (A011), then with a letter upload it (A020) and attach it (A012). A worker thread advances a
/// request whenever one of its messages reaches a final state: a create whose reply was lost is
/// looked up (A008) before it is ever made again; an attach refused for a stale version (409) or
/// a lock (423) re-reads the referral (A005) and tries again. Every decision is one
/// Store::applyErsStep. See docs/ers.md.
class ErsService {
public:
    struct Dependencies {
        Store& store;
        const Clock& clock;
        messaging::ids::RandomSource& random;
        std::function<void()> outboxWork; // wakes the dispatcher after new messages are queued
    };

    /// `lettersDir` holds the agent's own copy of each letter until it is uploaded.
    ErsService(Dependencies dependencies, AgentSettings::Ers settings, std::string odsCode,
               std::filesystem::path lettersDir);
    ~ErsService();
    ErsService(const ErsService&) = delete;
    ErsService& operator=(const ErsService&) = delete;

    void start();
    void stop();

    /// The dispatcher recorded a final state for an outbound message (any service).
    void outboundFinished(const MessageRecord& message);

    /// Validates the input, copies the letter, and stores the request with its create message in
    /// one transaction. Returns the request id. Errors name the field ("nhsNumber",
    /// "serviceIds", "serviceIds[1]", "letterFile", "letterContentType"), or are "ers" (e-RS not
    /// configured: no ers.tokenFile, or it cannot be read) or "store".
    Result<std::string> refer(const ErsReferralInput& input, const std::string& actor);

    /// One pass over the requests in progress, synchronously (for tests and tools). Returns how
    /// many moved.
    int runOnce();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace gp::agent
