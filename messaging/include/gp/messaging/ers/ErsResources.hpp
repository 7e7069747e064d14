#pragma once

#include <gp/Result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gp::messaging::ers {

/// A letter or other document attached to a referral (a contained DocumentReference).
struct ReferralAttachment {
    std::string id;
    std::string url; // "Binary/<id>"
    std::string title;
    std::string contentType;
    std::int64_t size = -1; // -1 unknown
};

/// What gp-agent needs from an e-RS ReferralRequest.
struct ReferralRequest {
    std::string ubrn;    // the resource id: 12 digits
    std::string version; // meta.versionId, or the ETag's when the body has none
    std::string status;  // FHIR status: "draft", "active", "cancelled", ...
    std::string nhsNumber;
    std::vector<std::string> serviceIds; // the shortlist
    std::vector<ReferralAttachment> attachments;
};

/// Reads a ReferralRequest (A011, A005, A012 and A036 replies). `etag` is the reply's ETag
/// header, if any (W/"3"): its version is used when meta.versionId is missing. Errors: not
/// JSON, wrong resourceType, id missing or not a UBRN (where "id").
Result<ReferralRequest> parseReferralRequest(std::string_view json, std::string_view etag = {});

/// The version inside an ETag: W/"3" → 3, "3" → 3.
std::string versionFromEtag(std::string_view etag);

/// A service found by A010.
struct ServiceSummary {
    std::string id;
    std::string name;
};

/// Reads an A010 reply: a List of services (the live API) or a Bundle of HealthcareService.
Result<std::vector<ServiceSummary>> parseServiceSearch(std::string_view json);

/// A referral on an A008 worklist.
struct WorklistEntry {
    std::string ubrn;
    std::string nhsNumber;
    std::string createdAt;     // referralCreated, ISO 8601 as e-RS wrote it
    std::string status;        // e-RS referral state code, e.g. "NOT_BOOKED"
    std::string correlationId; // the X-Correlation-ID of the create, when e-RS (or the mock) says
};

/// Reads an A008 reply (a List whose entries reference ReferralRequest/<ubrn>).
Result<std::vector<WorklistEntry>> parseWorklist(std::string_view json);

} // namespace gp::messaging::ers
