#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gp::messaging::gp2gp {

inline constexpr std::string_view kService = "urn:nhs:names:services:gp2gp";
inline constexpr std::string_view kEhrRequest = "RCMR_IN010000UK05";
inline constexpr std::string_view kEhrExtract = "RCMR_IN030000UK06";
inline constexpr std::string_view kEhrExtractWithRedactions = "RCMR_IN030000UK07";
inline constexpr std::string_view kCommon = "COPC_IN000001UK01";
inline constexpr std::string_view kApplicationAck = "MCCI_IN010000UK13";

/// Code system of GP2GP NACK reasons (ControlActEvent/reason/justifyingDetectedIssueEvent/code).
inline constexpr std::string_view kNackCodeSystem = "2.16.840.1.113883.2.1.3.2.4.17.101";

/// Default large-message threshold: an extract or attachment larger than this is sent as
/// compressed skeleton / fragments (PROTOCOL.md §2).
inline constexpr std::uint64_t kDefaultLargeThreshold = 4'500'000;

/// GP2GP NACK reasons. Always written with two digits ("06", never "6").
enum class NackReason {
    PatientNotAtSurgery = 6,
    Gp2gpDisabled = 7,
    UnexpectedEhr = 9,
    FailedToGenerateExtract = 10,
    FailedToIntegrate = 11,
    DuplicateEhr = 12,
    RequesterNotLargeMessageCompliant = 14,
    AbaStoredAsSuppressed = 15,
    AbaWrongPatient = 17,
    RequestNotWellFormed = 18,
    RequesterNotCurrentProvider = 19,
    SpineError = 20,
    ExtractNotWellFormed = 21,
    SenderNotLargeMessageCompliant = 23,
    SdsLookupFailed = 24,
    OverallTransferTimeout = 25,
    FiledAsAttachment = 26,
    WrongPatient = 28,
    LargeMessageReassemblyFailure = 29,
    LargeMessageGeneralFailure = 30,
    LargeMessageAttachmentsNotReceived = 31,
    UnexpectedCondition = 99,
};

std::string twoDigitCode(NackReason reason);  // "06"
std::string_view describe(NackReason reason); // "Patient not at surgery"
std::optional<NackReason>
nackReasonFromCode(std::string_view code); // "06" or "6" → PatientNotAtSurgery

} // namespace gp::messaging::gp2gp
