#pragma once

#include <gp/Result.hpp>
#include <gp/agent/Clock.hpp>
#include <gp/agent/config/Settings.hpp>
#include <gp/agent/store/Store.hpp>
#include <gp/messaging/ers/ErsRequests.hpp>
#include <gp/messaging/ids/RandomSource.hpp>

#include <string>
#include <string_view>

namespace gp::agent::ers {

/// OutboundMessage.service of every e-RS call, so listeners can tell them from Spine's.
inline constexpr std::string_view kService = "e-RS";

// Request states (docs/ers.md).
inline constexpr std::string_view kCreating = "creating";
inline constexpr std::string_view kLookingUp = "looking-up";
inline constexpr std::string_view kUploading = "uploading";
inline constexpr std::string_view kAttaching = "attaching";
inline constexpr std::string_view kComplete = "complete";
inline constexpr std::string_view kFailed = "failed";
inline constexpr std::string_view kCancelling = "cancelling";
inline constexpr std::string_view kCancelled = "cancelled";

// Step states.
inline constexpr std::string_view kStepQueued = "queued";
inline constexpr std::string_view kStepDone = "done";
inline constexpr std::string_view kStepFailed = "failed";

/// A create is made at most this many times, each only after a lookup found no referral.
inline constexpr int kMaxCreateAttempts = 3;
/// An attach refused with 409 or 423 is re-read and sent again at most this many times in all.
inline constexpr int kMaxAttachAttempts = 5;
/// A cancel refused with 409 or 423 is re-read and sent again at most this many times in all.
inline constexpr int kMaxCancelAttempts = 5;

/// The decisions of the e-RS workflow: what to queue first, and what to do when a step's message
/// reaches a final state. It reads the store but never writes it; the caller applies the step.
class ErsWorkflow {
public:
    ErsWorkflow(Store& store, const Clock& clock, messaging::ids::RandomSource& random,
                AgentSettings::Ers settings, std::string odsCode);

    /// The first step of a new request (state creating, one create message).
    Result<ErsWorkflowStep> begin(ErsRequest request, const std::string& actor);

    /// Cancels a complete request's referral: one cancel message (If-Match: request.version),
    /// state cancelling. `reason` becomes e-RS's cancellation comments.
    Result<ErsWorkflowStep> cancel(ErsRequest request, const std::string& reason,
                                   const std::string& actor);

    /// The next step of an active request whose current step's message has finished; nothing
    /// when that message is still in the outbox.
    std::optional<ErsWorkflowStep> advance(const ErsRequest& request);

private:
    struct Finished;

    std::optional<ErsWorkflowStep> afterCreate(const ErsRequest& request, const Finished& done);
    std::optional<ErsWorkflowStep> afterLookup(const ErsRequest& request, const Finished& done);
    std::optional<ErsWorkflowStep> afterUpload(const ErsRequest& request, const Finished& done);
    std::optional<ErsWorkflowStep> afterAttach(const ErsRequest& request, const Finished& done);
    std::optional<ErsWorkflowStep> afterReread(const ErsRequest& request, const Finished& done);
    std::optional<ErsWorkflowStep> afterCancel(const ErsRequest& request, const Finished& done);
    std::optional<ErsWorkflowStep> afterCancelReread(const ErsRequest& request,
                                                     const Finished& done);
    /// Ends a cancel: cancelled, or back to complete with why the cancel did not work.
    ErsWorkflowStep settleCancel(ErsRequest request, const Finished& done, bool cancelled,
                                 const std::string& code, const std::string& text);

    /// Queues `call` as the request's next step (seq after `done`'s), marking `done` finished.
    ErsWorkflowStep next(ErsRequest request, const Finished& done, const std::string& step,
                         const messaging::ers::FhirRequest& call,
                         std::vector<std::pair<std::string, std::string>> extraHeaders,
                         bool idempotent, std::string_view state);
    ErsWorkflowStep finish(ErsRequest request, const Finished& done, std::string_view state,
                           const std::string& code, const std::string& text);
    /// After the referral exists: upload, re-read or attach, or complete.
    ErsWorkflowStep continueWithLetter(ErsRequest request, const Finished& done);
    ErsWorkflowStep createAgain(ErsRequest request, const Finished& done);

    OutboundMessage message(const ErsRequest& request, const std::string& step,
                            const messaging::ers::FhirRequest& call,
                            const std::string& correlationId,
                            std::vector<std::pair<std::string, std::string>> extraHeaders,
                            bool idempotent, const std::string& token) const;
    std::string correlationId(const ErsRequest& request, const std::string& step, int number) const;

    Store& m_store;
    const Clock& m_clock;
    messaging::ids::RandomSource& m_random;
    AgentSettings::Ers m_settings;
    std::string m_odsCode;
};

/// The headers every e-RS call carries (docs/ers.md), without Content-Type.
std::vector<std::pair<std::string, std::string>> ersHeaders(const AgentSettings::Ers& settings,
                                                            const std::string& odsCode,
                                                            const std::string& correlationId,
                                                            const std::string& token);

/// The bearer token for e-RS, read from ers.tokenFile (errors: where "ers").
Result<std::string> readErsToken(const AgentSettings::Ers& settings);

} // namespace gp::agent::ers
