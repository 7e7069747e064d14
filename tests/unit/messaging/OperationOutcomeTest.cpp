#include "Golden.hpp"

#include <gp/messaging/ers/OperationOutcome.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace gp::messaging::ers;

namespace {

std::string outcomeWith(const std::string& code, const std::string& display) {
    return R"({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "value",
        "details": {"coding": [{"system": "https://fhir.nhs.uk/STU3/CodeSystem/eRS-APIErrorCode-1",
        "code": ")" +
           code + R"(", "display": ")" + display + R"("}]}, "diagnostics": "field x"}]})";
}

} // namespace

TEST_SUITE("messaging") {
    TEST_CASE("an OperationOutcome gives the e-RS code, display and diagnostics") {
        auto outcome =
            parseOperationOutcome(gp::test::readGolden("ers_operation_outcome_422.json"));
        REQUIRE(outcome.ok());
        REQUIRE(outcome->issues.size() == 1);
        const auto issue = outcome->primary();
        CHECK(issue.severity == "error");
        CHECK(issue.issueType == "business-rule");
        CHECK(issue.code == "REFERENCE_NOT_FOUND");
        CHECK(issue.display == "Reference not found");
        CHECK(issue.diagnostics == "shortlist entry[0]: service 99999 not found");
    }

    TEST_CASE("the primary issue is the first error, not a warning before it") {
        auto outcome = parseOperationOutcome(R"({"resourceType": "OperationOutcome", "issue": [
            {"severity": "warning", "code": "informational", "diagnostics": "just so you know"},
            {"severity": "error", "code": "conflict", "details": {"text": "Version mismatch"}}]})");
        REQUIRE(outcome.ok());
        CHECK(outcome->primary().issueType == "conflict");
        CHECK(outcome->primary().display == "Version mismatch");
    }

    TEST_CASE("an OperationOutcome parser names what is wrong") {
        auto wrongType = parseOperationOutcome(R"({"resourceType": "Bundle"})");
        REQUIRE_FALSE(wrongType.ok());
        CHECK(wrongType.error().where == "resourceType");
        auto noIssues = parseOperationOutcome(R"({"resourceType": "OperationOutcome"})");
        REQUIRE_FALSE(noIssues.ok());
        CHECK(noIssues.error().describe() == "issue: an OperationOutcome needs at least one issue");
        CHECK_FALSE(parseOperationOutcome("").ok());
    }

    TEST_CASE("known e-RS codes map to their own staff message") {
        struct Row {
            int status;
            std::string code;
            std::string text;
        };
        const Row rows[] = {
            {403, "NO_ACCESS",
             "e-RS refused access: check the business function and the user's role at this "
             "organisation."},
            {422, "REFERENCE_NOT_FOUND",
             "e-RS could not find something the request names (a service, referral or "
             "attachment): check the ids."},
            {422, "TOO_MANY_ITEMS", "e-RS accepts at most 20 services on a shortlist."},
            {422, "FILE_SIZE_ERROR", "The letter is empty or larger than e-RS accepts (5 MB)."},
            {409, "CONFLICT", "The referral was changed in e-RS meanwhile (version conflict)."},
            {423, "LOCKED",
             "The referral is locked by another e-RS user; try again when they have finished."},
            {504, "PAS_NOT_RESPONDING", "The hospital system behind e-RS did not answer in time."},
        };
        for (const auto& row : rows) {
            CAPTURE(row.code);
            const auto message = staffMessageForBody(row.status, outcomeWith(row.code, "ignored"));
            CHECK(message.code == row.code);
            CHECK(message.text == row.text);
        }
    }

    TEST_CASE("an unknown code keeps e-RS's display after the status sentence") {
        const auto message = staffMessageForBody(422, outcomeWith("SHORTLIST_CLOSED", "Closed"));
        CHECK(message.code == "SHORTLIST_CLOSED");
        CHECK(message.text ==
              "e-RS refused the request under its business rules. e-RS says: Closed");
    }

    TEST_CASE("a reply without an OperationOutcome is described by its HTTP status") {
        struct Row {
            int status;
            std::string text;
        };
        const Row rows[] = {
            {401, "e-RS did not accept the access token: check ers.tokenFile."},
            {403, "e-RS refused access: check the business function and the user's role."},
            {413, "The letter is larger than e-RS accepts (5 MB)."},
            {422, "e-RS refused the request under its business rules."},
            {500, "e-RS failed to process the request."},
            {418, "e-RS refused the request."},
        };
        for (const auto& row : rows) {
            CAPTURE(row.status);
            const auto message = staffMessageForBody(row.status, "<html>gateway</html>");
            CHECK(message.code == "http-" + std::to_string(row.status));
            CHECK(message.text == row.text);
        }
    }
}
