#include "FixedRandom.hpp"
#include "SeededRandom.hpp"

#include <gp/messaging/ids/Identifiers.hpp>

#include <doctest/doctest.h>

#include <set>
#include <stdexcept>

using namespace gp::messaging::ids;
using gp::test::FixedRandom;
using gp::test::SeededRandom;

namespace {

std::string messageOf(const gp::Status& status) {
    return status.ok() ? std::string("ok") : status.error().message;
}

} // namespace

TEST_SUITE("messaging") {

    TEST_CASE("NHS numbers with a right modulus 11 check digit are accepted") {
        CHECK(checkNhsNumber("9449304130").ok());
        CHECK(checkNhsNumber("9449305552").ok());
    }

    TEST_CASE("NHS number errors say which rule failed and leave where to the caller") {
        const gp::Status wrongDigit = checkNhsNumber("9449304131");
        REQUIRE_FALSE(wrongDigit.ok());
        CHECK(wrongDigit.error().where.empty());
        CHECK(wrongDigit.error().message == "check digit is 1, expected 0");

        CHECK(messageOf(checkNhsNumber("944930413")) == "must be 10 digits");
        CHECK(messageOf(checkNhsNumber("94493041300")) == "must be 10 digits");
        CHECK(messageOf(checkNhsNumber("94493O4130")) == "must be 10 digits");
        CHECK(messageOf(checkNhsNumber("")) == "must be 10 digits");
        // The first nine digits weigh to a remainder of 1, so the check digit would have to be 10.
        CHECK(messageOf(checkNhsNumber("9449304190")) ==
              "check digit would be 10, so no number has it");
    }

    TEST_CASE("newUuid makes upper-case version 4 UUIDs from the injected randomness") {
        SeededRandom random(7);
        const std::string uuid = newUuid(random);
        CHECK(isUpperCaseUuid(uuid));
        CHECK(uuid[14] == '4');
        CHECK(std::string("89AB").find(uuid[19]) != std::string::npos);

        SeededRandom again(7);
        CHECK(newUuid(again) == uuid);

        std::set<std::string> seen;
        for (int i = 0; i < 100; ++i) {
            seen.insert(newUuid(random));
        }
        CHECK(seen.size() == 100);

        FixedRandom zeros(0);
        CHECK(newUuid(zeros) == "00000000-0000-4000-8000-000000000000");
        FixedRandom ones(~0ULL);
        CHECK(newUuid(ones) == "FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF");
    }

    TEST_CASE("isUpperCaseUuid accepts only the upper-case 8-4-4-4-12 form") {
        CHECK(isUpperCaseUuid("055BDBF6-DC7C-11EA-9C8B-000C29F50CF9"));
        CHECK_FALSE(isUpperCaseUuid("055bdbf6-dc7c-11ea-9c8b-000c29f50cf9"));
        CHECK_FALSE(isUpperCaseUuid("055BDBF6DC7C11EA9C8B000C29F50CF9"));
        CHECK_FALSE(isUpperCaseUuid("055BDBF6-DC7C-11EA-9C8B-000C29F50CF"));
        CHECK_FALSE(isUpperCaseUuid("055BDBF6-DC7C-11EA-9C8B_000C29F50CF9"));
        CHECK_FALSE(isUpperCaseUuid("055BDBF6-DC7C-11EA-9C8B-000C29F50CG9"));
        CHECK_FALSE(isUpperCaseUuid(""));
    }

    TEST_CASE("ODS codes are 3 to 10 upper-case letters and digits") {
        CHECK(checkOdsCode("A83008").ok());
        CHECK(checkOdsCode("FLE79").ok());
        CHECK(checkOdsCode("84H").ok());
        CHECK(checkOdsCode("ABCDEFGHIJ").ok());
        CHECK(messageOf(checkOdsCode("AB")) == "must be 3 to 10 characters");
        CHECK(messageOf(checkOdsCode("ABCDEFGHIJK")) == "must be 3 to 10 characters");
        CHECK(messageOf(checkOdsCode("a83008")) == "must be upper-case letters and digits only");
        CHECK(messageOf(checkOdsCode("A8-008")) == "must be upper-case letters and digits only");
    }

    TEST_CASE("prescription check character matches the published test vectors") {
        CHECK(prescriptionCheckCharacter("24F5DA-A83008-7EFE6") == 'Z');
        CHECK(prescriptionCheckCharacter("24F5DAA830087EFE6") == 'Z');
        CHECK(prescriptionCheckCharacter("0DA698-A83008-F5059") == '3');
        CHECK_THROWS_AS(prescriptionCheckCharacter("24f5da"), std::invalid_argument);
    }

    TEST_CASE("checkPrescriptionId accepts the test vectors and rejects a changed last character") {
        CHECK(checkPrescriptionId("24F5DA-A83008-7EFE6Z").ok());
        CHECK(checkPrescriptionId("0DA698-A83008-F50593").ok());

        const gp::Status changed = checkPrescriptionId("24F5DA-A83008-7EFE6Y");
        REQUIRE_FALSE(changed.ok());
        CHECK(changed.error().where.empty());
        CHECK(changed.error().message == "check character is Y, expected Z");
        CHECK(messageOf(checkPrescriptionId("0DA698-A83008-F50594")) ==
              "check character is 4, expected 3");
    }

    TEST_CASE("checkPrescriptionId tells a malformed ID from a wrong check character") {
        const std::string pattern = "must look like 24F5DA-A83008-7EFE6Z "
                                    "(6 hex, 6 letters or digits, 5 hex, check character)";
        CHECK(messageOf(checkPrescriptionId("24f5da-A83008-7EFE6Z")) == pattern);
        CHECK(messageOf(checkPrescriptionId("24F5DG-A83008-7EFE6Z")) == pattern);
        CHECK(messageOf(checkPrescriptionId("24F5DAA830087EFE6Z")) == pattern);
        CHECK(messageOf(checkPrescriptionId("24F5DA-A83008-7EFE6")) == pattern);
        CHECK(messageOf(checkPrescriptionId("24F5DA-A83008-7EFG6Z")) == pattern);
        CHECK(messageOf(checkPrescriptionId("24F5DA-A83008-7EFE6*")) == pattern);
        CHECK(messageOf(checkPrescriptionId("")) == pattern);
    }

    TEST_CASE(
        "newPrescriptionId pads the prescriber ODS code and ends with a right check character") {
        SeededRandom random(42);
        const std::string id = newPrescriptionId("A83008", random);
        CHECK(checkPrescriptionId(id).ok());
        CHECK(id.substr(7, 6) == "A83008");

        const std::string padded = newPrescriptionId("FLE79", random);
        CHECK(checkPrescriptionId(padded).ok());
        CHECK(padded.substr(7, 6) == "0FLE79");

        FixedRandom zeros(0);
        const std::string fixed = newPrescriptionId("A83008", zeros);
        CHECK(fixed == std::string("000000-A83008-00000") +
                           prescriptionCheckCharacter("000000-A83008-00000"));

        SeededRandom again(42);
        CHECK(newPrescriptionId("A83008", again) == id);

        CHECK_THROWS_AS(newPrescriptionId("ABCDEFG", random), std::invalid_argument);
        CHECK_THROWS_AS(newPrescriptionId("", random), std::invalid_argument);
        CHECK_THROWS_AS(newPrescriptionId("a83008", random), std::invalid_argument);
    }

} // TEST_SUITE
