#include <gp/messaging/gp2gp/Gp2gp.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace gp::messaging::gp2gp;

TEST_SUITE("messaging") {

    TEST_CASE("gp2gp every NACK reason has its two-digit code and a description") {
        const std::vector<std::pair<NackReason, std::string>> table = {
            {NackReason::PatientNotAtSurgery, "06"},
            {NackReason::Gp2gpDisabled, "07"},
            {NackReason::UnexpectedEhr, "09"},
            {NackReason::FailedToGenerateExtract, "10"},
            {NackReason::FailedToIntegrate, "11"},
            {NackReason::DuplicateEhr, "12"},
            {NackReason::RequesterNotLargeMessageCompliant, "14"},
            {NackReason::AbaStoredAsSuppressed, "15"},
            {NackReason::AbaWrongPatient, "17"},
            {NackReason::RequestNotWellFormed, "18"},
            {NackReason::RequesterNotCurrentProvider, "19"},
            {NackReason::SpineError, "20"},
            {NackReason::ExtractNotWellFormed, "21"},
            {NackReason::SenderNotLargeMessageCompliant, "23"},
            {NackReason::SdsLookupFailed, "24"},
            {NackReason::OverallTransferTimeout, "25"},
            {NackReason::FiledAsAttachment, "26"},
            {NackReason::WrongPatient, "28"},
            {NackReason::LargeMessageReassemblyFailure, "29"},
            {NackReason::LargeMessageGeneralFailure, "30"},
            {NackReason::LargeMessageAttachmentsNotReceived, "31"},
            {NackReason::UnexpectedCondition, "99"},
        };
        std::set<std::string_view> descriptions;
        for (const auto& [reason, code] : table) {
            CAPTURE(code);
            CHECK(twoDigitCode(reason) == code);
            CHECK(nackReasonFromCode(code) == reason);
            CHECK_FALSE(describe(reason).empty());
            descriptions.insert(describe(reason));
        }
        // Each reason reads differently in a log or on the tray.
        CHECK(descriptions.size() == table.size());
        CHECK(describe(NackReason::PatientNotAtSurgery) == "Patient not at surgery");
    }

    TEST_CASE("gp2gp NACK codes are always written with two digits") {
        CHECK(twoDigitCode(NackReason::PatientNotAtSurgery) == "06");
        CHECK(twoDigitCode(NackReason::Gp2gpDisabled) == "07");
        CHECK(twoDigitCode(NackReason::UnexpectedEhr) == "09");
    }

    TEST_CASE("gp2gp nackReasonFromCode accepts one digit and refuses unknown codes") {
        CHECK(nackReasonFromCode("6") == NackReason::PatientNotAtSurgery);
        CHECK(nackReasonFromCode("9") == NackReason::UnexpectedEhr);
        CHECK_FALSE(nackReasonFromCode("").has_value());
        CHECK_FALSE(nackReasonFromCode("08").has_value());
        CHECK_FALSE(nackReasonFromCode("13").has_value());
        CHECK_FALSE(nackReasonFromCode("006").has_value());
        CHECK_FALSE(nackReasonFromCode("6a").has_value());
        CHECK_FALSE(nackReasonFromCode("-6").has_value());
        CHECK_FALSE(nackReasonFromCode("100").has_value());
    }
}
