#pragma once

#include <gp/Result.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gp::messaging::ers {

/// Wire constants of the e-Referral Service FHIR STU3 API (PROTOCOL.md §4).
inline constexpr std::string_view kFhirJson = "application/fhir+json";
inline constexpr std::string_view kNhsNumberSystem = "http://fhir.nhs.net/Id/nhs-number";
inline constexpr std::string_view kServiceSystem = "http://fhir.nhs.net/Id/ers-service";
inline constexpr std::string_view kBusinessFunctionHeader = "NHSD-eRS-Business-Function";
inline constexpr std::string_view kOdsHeader = "NHSD-End-User-Organisation-ODS";
inline constexpr std::string_view kCorrelationHeader = "X-Correlation-ID";
inline constexpr std::size_t kMaxShortlist = 20;
/// A020 refuses attachments larger than this.
inline constexpr std::uint64_t kMaxAttachmentBytes = 5ULL * 1024 * 1024;

/// One e-RS call, built once and sent as is: `path` is relative to the API base URL (which ends
/// in ".../FHIR/STU3"), `contentType` is empty for a GET.
struct FhirRequest {
    std::string method = "POST";
    std::string path;
    std::string contentType;
    std::string body;
};

/// The 12 digits of a UBRN (Unique Booking Reference Number), which is a ReferralRequest's id.
Status checkUbrn(std::string_view ubrn);

/// An e-RS service id: 1 to 20 digits.
Status checkServiceId(std::string_view serviceId);

/// A010 `POST /HealthcareService/$ers.searchHealthcareServicesForPatient`.
struct ServiceSearch {
    std::string nhsNumber;
    std::string specialty; // e-RS specialty code, e.g. "CARDIOLOGY"; empty: any
    std::string priority = "ROUTINE";
    std::string specialtySystem; // the base URL's SPECIALTY code system; empty: e-RS's default
};
Result<FhirRequest> buildServiceSearch(const ServiceSearch& search);

/// A011 `POST /ReferralRequest/$ers.createReferral`: an unbooked referral for the patient with
/// a shortlist of 1 to 20 services. Errors name the field ("nhsNumber", "serviceIds[2]").
struct CreateReferral {
    std::string nhsNumber;
    std::vector<std::string> serviceIds;
    std::string priority = "ROUTINE";
    bool letterToFollow = false; // a referral letter will be attached straight after
};
Result<FhirRequest> buildCreateReferral(const CreateReferral& referral);

/// A005 `GET /ReferralRequest/{ubrn}`.
Result<FhirRequest> buildGetReferral(std::string_view ubrn);

/// A020 `POST /Binary`: the body is the file's bytes as they are (the caller streams it), sent
/// with the file's own content type.
Result<FhirRequest> buildUploadAttachment(std::string_view contentType);

/// A012 `POST /ReferralRequest/{ubrn}/$ers.maintainReferralLetter` (sent with If-Match): makes
/// an uploaded Binary the referral's letter.
struct ReferralLetter {
    std::string ubrn;
    std::string binaryUrl;   // "Binary/<id>" or the full Location of the upload
    std::string title;       // file name shown to the provider
    std::string contentType; // e.g. "application/pdf"
    std::uint64_t size = 0;
    std::string indexedAt; // ISO 8601 time the letter was attached (passed in: no clock here)
    std::string description;
};
Result<FhirRequest> buildMaintainReferralLetter(const ReferralLetter& letter);

/// A036 `POST /ReferralRequest/{ubrn}/$ers.cancelReferral` (sent with If-Match).
struct CancelReferral {
    std::string ubrn;
    std::string reasonCode = "NO_LONGER_REQUIRED";
    std::string reasonSystem; // the base URL's REFERRAL-CANCELLATION-REASON code system
    std::string comments;
};
Result<FhirRequest> buildCancelReferral(const CancelReferral& cancel);

/// A008 `POST /ReferralRequest/$ers.fetchworklist`: the referrer's worklist of referrals awaiting
/// booking, which is how a create whose reply was lost is found again.
FhirRequest buildFetchWorklist(std::string_view listType = "AWAITING_BOOKING");

/// The value of an If-Match header for a version: W/"<version>".
std::string ifMatch(std::string_view version);

} // namespace gp::messaging::ers
