#pragma once

#include <gp/Result.hpp>
#include <gp/agent/Clock.hpp>
#include <gp/agent/config/Settings.hpp>
#include <gp/agent/store/Store.hpp>
#include <gp/agent/transport/HttpTransport.hpp>
#include <gp/messaging/ers/ErsResources.hpp>
#include <gp/messaging/ids/RandomSource.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
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
    /// The ODS code of the practice referring (its e-RS calls name it); empty: the default.
    std::string practice = {};
};

/// A service search (A010) for a patient.
struct ErsServiceQuery {
    std::string nhsNumber;
    std::string specialty; // e-RS specialty code such as "CARDIOLOGY"; empty: any
    std::string priority = "ROUTINE";
    std::string practice = {}; // the ODS code the search is made as; empty: the default
};

/// Why a call made while the caller waits (a service search, the read before a cancel) did not
/// work. docs/ers.md says how the local API answers each.
struct ErsCallFailure {
    int httpStatus = 0;     // e-RS's status; 0 when no reply arrived
    bool timedOut = false;  // no reply in time (else: no connection, or it dropped)
    std::string code;       // e-RS's code, else "http-<status>", "transport-<what>", ...
    std::string text;       // for staff
    std::string retryAfter; // e-RS's Retry-After as it sent it; empty: none
};

struct ErsSearchReply {
    std::vector<messaging::ers::ServiceSummary> services;
    std::optional<ErsCallFailure> failure; // set when e-RS gave no list
};

struct ErsCancelReply {
    std::string state;                     // "cancelling", or "cancelled" when it already is
    std::optional<ErsCallFailure> failure; // the referral's version could not be read first
};

/// e-Referrals. Each request is a small workflow over the durable outbox: create the referral
/// (A011), then with a letter upload it (A020) and attach it (A012). A worker thread advances a
/// request whenever one of its messages reaches a final state: a create whose reply was lost is
/// looked up (A008) before it is ever made again; an attach refused for a stale version (409) or
/// a lock (423) re-reads the referral (A005) and tries again, as does a cancel (A036) of a
/// complete request. Every decision is one Store::applyErsStep. Service searches (A010) are
/// reads made while the caller waits, not outbox steps. See docs/ers.md.
class ErsService {
public:
    struct Dependencies {
        Store& store;
        const Clock& clock;
        messaging::ids::RandomSource& random;
        std::function<void()> outboxWork; // wakes the dispatcher after new messages are queued
    };

    /// `lettersDir` holds the agent's own copy of each letter until it is uploaded. `transport`
    /// carries the calls made while the caller waits (searches); null: a CurlTransport with
    /// default settings, made when first needed.
    ErsService(Dependencies dependencies, AgentSettings::Ers settings, std::string odsCode,
               std::filesystem::path lettersDir,
               std::unique_ptr<HttpTransport> transport = nullptr);
    ~ErsService();
    ErsService(const ErsService&) = delete;
    ErsService& operator=(const ErsService&) = delete;

    void start();
    void stop();

    /// The dispatcher recorded a final state for an outbound message (any service).
    void outboundFinished(const MessageRecord& message);
    /// Another instance sharing the store changed it, or this one now leads the workflows
    /// (StoreSignal): the worker looks at the requests again.
    void storeChanged();

    /// Validates the input, copies the letter, and stores the request with its create message in
    /// one transaction. Returns the request id. Errors name the field ("nhsNumber",
    /// "serviceIds", "serviceIds[1]", "letterFile", "letterContentType"), or are "ers" (e-RS not
    /// configured: no ers.tokenFile, or it cannot be read) or "store".
    Result<std::string> refer(const ErsReferralInput& input, const std::string& actor);

    /// Searches e-RS for services for the patient (A010) there and then: a read, so it is not
    /// carried by the outbox. Errors (nothing sent): "nhsNumber", "specialty", "priority", "ers".
    Result<ErsSearchReply> searchServices(const ErsServiceQuery& query);

    /// Queues a cancel (A036) of a complete request's referral, with If-Match of its version (read
    /// from e-RS first, while the caller waits, when the agent does not know it). A request
    /// already cancelling or cancelled is left as it is. Errors: "requestId" (no such request),
    /// "state" (not cancellable: no UBRN yet, in progress, or failed), "reason", "ers", "store".
    Result<ErsCancelReply> cancel(const std::string& requestId, const std::string& reason,
                                  const std::string& actor);

    /// One pass over the requests in progress, synchronously (for tests and tools). Returns how
    /// many moved.
    int runOnce();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace gp::agent
