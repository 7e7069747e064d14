#include <gp/mock/SpineRules.hpp>

#include <doctest/doctest.h>

using namespace gp::mock;

TEST_SUITE("spine-mock") {

    TEST_CASE("prescription check character matches the published test vectors") {
        CHECK(rules::prescriptionCheckCharacter("24F5DA-A83008-7EFE6Z") == 'Z');
        CHECK(rules::prescriptionCheckCharacter("0DA698-A83008-F50593") == '3');
        CHECK(rules::checkPrescriptionId("24F5DA-A83008-7EFE6Z").ok());
        CHECK(rules::checkPrescriptionId("0DA698-A83008-F50593").ok());
    }

    TEST_CASE("prescription id with a wrong check character is refused") {
        const auto result = rules::checkPrescriptionId("24F5DA-A83008-7EFE6Y");
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().where == "prescriptionId");
        CHECK(result.error().message == "has invalid check character");
    }

    TEST_CASE("prescription id shape is enforced") {
        for (const char* bad :
             {"24F5DA-A83008-7EFE6", "24f5da-A83008-7EFE6Z", "24F5DAA83008-7EFE6Z",
              "24F5DG-A83008-7EFE6Z", "24F5DA-A83008-7EFG6Z", "24F5DA-a83008-7EFE6Z",
              "24F5DA-A83008-7EFE6Z0", ""}) {
            CAPTURE(bad);
            const auto result = rules::checkPrescriptionId(bad);
            REQUIRE_FALSE(result.ok());
            CHECK(result.error().message == "has invalid format");
        }
        CHECK(rules::hasPrescriptionIdShape("ABCDEF-ZZ0000-12345+"));
    }

    TEST_CASE("NHS number modulus 11") {
        CHECK(rules::checkNhsNumber("9434765919").ok());
        CHECK(rules::checkNhsNumber("9990000018").ok());

        const auto wrongDigit = rules::checkNhsNumber("9434765918");
        REQUIRE_FALSE(wrongDigit.ok());
        CHECK(wrongDigit.error().describe() == "nhsNumber: check digit is 8, expected 9");

        CHECK(rules::checkNhsNumber("943476591").error().message == "must be 10 digits");
        CHECK(rules::checkNhsNumber("94347659A9").error().message == "must be 10 digits");
        // weighted sum 12, 11 - 12 mod 11 = 10: no digit can be right
        CHECK(rules::checkNhsNumber("0000000060").error().message ==
              "no valid check digit exists for these nine digits");
    }

    TEST_CASE("MessageId must be an upper-case UUID") {
        CHECK(rules::isUpperCaseUuid("3C5B1E2A-8F4D-4E6B-9A1C-2D3E4F5A6B7C"));
        CHECK_FALSE(rules::isUpperCaseUuid("3c5b1e2a-8f4d-4e6b-9a1c-2d3e4f5a6b7c"));
        CHECK_FALSE(rules::isUpperCaseUuid("3C5B1E2A8F4D4E6B9A1C2D3E4F5A6B7C"));
        CHECK_FALSE(rules::isUpperCaseUuid("3C5B1E2A-8F4D-4E6B-9A1C-2D3E4F5A6B7G"));
        CHECK_FALSE(rules::isUpperCaseUuid(""));
    }

} // TEST_SUITE
