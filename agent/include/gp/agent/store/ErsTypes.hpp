#pragma once

#include <gp/agent/Clock.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace gp::agent {

/// One e-Referral request as the practice made it: create the referral, then (with a letter)
/// upload it and attach it. `state` and the counters belong to the workflow (agent/src/ers/); the
/// store keeps them and never interprets them. See docs/ers.md.
struct ErsRequest {
    std::string requestId; // upper-case UUID, ours
    // "creating", "looking-up", "uploading", "attaching", "complete", "failed", "cancelling",
    // "cancelled"
    std::string state;
    std::string nhsNumber; // stored, never logged
    std::vector<std::string> serviceIds;
    std::filesystem::path letterFile; // the agent's own copy; empty: no letter
    std::string letterTitle;          // file name shown in e-RS
    std::string letterContentType;
    std::int64_t letterBytes = 0;
    std::string ubrn;      // once e-RS has created the referral
    std::string version;   // the referral's version as last seen (for If-Match)
    std::string binaryUrl; // "Binary/<id>" once the letter is uploaded
    std::string errorCode; // when failed: e-RS's code or ours
    std::string errorText;
    int createAttempts = 0; // create messages sent so far (a lost reply may need another)
    int attachAttempts = 0; // attach messages sent so far (409/423 re-read and try again)
    TimePoint createdAt;
    TimePoint updatedAt;
    /// The ODS code of the practice that made it, named in every call's headers; "" the agent's
    /// default practice (docs/multi-practice.md).
    std::string practice = {};
};

/// One step of a request: one outbox message and what came of it.
struct ErsStepRecord {
    std::string requestId;
    int seq = 0;               // 1, 2, ... in the order the steps were queued
    std::string step;          // "create", "lookup", "upload", "attach", "reread", "cancel"
    std::string messageId;     // the outbox message carrying it
    std::string correlationId; // X-Correlation-ID sent with it
    std::string state;         // "queued" (in the outbox), "done", "failed"
    std::string code;          // outcome code: e-RS's, "http-409", "outcome-unknown", ...
    std::string text;          // plain English for staff
    TimePoint createdAt;
    TimePoint updatedAt;
};

} // namespace gp::agent
