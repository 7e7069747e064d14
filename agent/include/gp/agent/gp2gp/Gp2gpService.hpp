#pragma once

#include <gp/Result.hpp>
#include <gp/agent/Clock.hpp>
#include <gp/agent/config/Practices.hpp>
#include <gp/agent/config/Settings.hpp>
#include <gp/agent/routing/RouteLookup.hpp>
#include <gp/agent/store/Store.hpp>
#include <gp/messaging/ids/RandomSource.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace gp::agent {

/// Who a practice is on the Spine, for GP2GP (an agent of one practice).
struct PracticeIdentity {
    std::string odsCode;
    std::string partyKey;
    std::string asid;
};

/// GP2GP in both roles. A worker thread processes inbound messages the inbound endpoint stored,
/// acts on deadlines, and advances each transfer when its outbound messages reach a final state.
/// Every decision is one Store::applyStep. See docs/gp2gp.md.
///
/// One service acts for every practice of the agent, on the one worker thread: an EHR request
/// is answered as the practice it is addressed to, a record is requested as the practice that
/// asks, and every later step of a transfer is taken as the transfer's local practice
/// (Conversation::localOds).
class Gp2gpService {
public:
    struct Dependencies {
        Store& store;
        RouteLookup& routes;
        const Clock& clock;
        messaging::ids::RandomSource& random;
        std::function<void()> outboxWork; // wakes the dispatcher after new messages are queued
    };

    Gp2gpService(Dependencies dependencies, PracticeDirectory practices,
                 AgentSettings::Gp2gp settings, std::filesystem::path outboxDir);
    /// An agent of one practice.
    Gp2gpService(Dependencies dependencies, PracticeIdentity practice,
                 AgentSettings::Gp2gp settings, std::filesystem::path outboxDir);
    ~Gp2gpService();
    Gp2gpService(const Gp2gpService&) = delete;
    Gp2gpService& operator=(const Gp2gpService&) = delete;

    void start();
    void stop();

    /// The practices this service acts for.
    const PracticeDirectory& practices() const;

    /// The inbound endpoint stored a message (wake the worker).
    void inboundArrived();
    /// The dispatcher recorded a final state for an outbound message of some conversation.
    void outboundFinished(const MessageRecord& message);

    /// Requesting role: practice `requesterOdsCode` (one of the agent's) asks `fromOdsCode` for
    /// the record of `nhsNumber`. Durable on success; returns the ConversationId. Errors name the
    /// field ("practice", "nhsNumber", "fromOdsCode") or "sds".
    Result<std::string> requestRecord(const std::string& requesterOdsCode,
                                      const std::string& nhsNumber, const std::string& fromOdsCode,
                                      const std::string& actor);

    /// Requesting role with gp2gp.autoAck=false: accept (final AA) or reject (NACK reasonCode).
    Status acknowledge(const std::string& conversationId, bool accepted,
                       const std::string& reasonCode, const std::string& actor);

    /// One pass of the worker's work, synchronously (for tests and tools): process pending
    /// inbound messages, act on due deadlines, reconcile active transfers. Returns how many
    /// things changed.
    int runOnce();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace gp::agent
