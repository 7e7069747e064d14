#include <gp/agent/dispatch/FhirOutcomeClassifier.hpp>

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

using gp::agent::classifyFhir;
using gp::agent::HttpResponse;
using gp::agent::Milliseconds;
using gp::agent::Outcome;
using gp::agent::TransportResult;

namespace {

TransportResult failed(TransportResult::Failure failure, std::string text) {
    TransportResult result;
    result.failure = failure;
    result.failureText = std::move(text);
    return result;
}

TransportResult replied(int status, std::string body = {},
                        std::vector<std::pair<std::string, std::string>> headers = {}) {
    TransportResult result;
    result.response = HttpResponse{status, std::move(headers), std::move(body)};
    return result;
}

const std::vector<std::pair<std::string, std::string>> kFhirJson = {
    {"Content-Type", "application/fhir+json;charset=UTF-8"}};

/// The shape e-RS answers a rejected create with: its own code in details.coding, FHIR's issue
/// type in issue.code, a sentence in diagnostics.
std::string ersOperationOutcome(const std::string& issueCode, const std::string& ersCode,
                                const std::string& display, const std::string& diagnostics) {
    return R"({
  "resourceType": "OperationOutcome",
  "meta": {
    "profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/eRS-OperationOutcome-1"]
  },
  "issue": [
    {
      "severity": "error",
      "code": ")" +
           issueCode + R"(",
      "details": {
        "coding": [
          {
            "system": "https://fhir.nhs.uk/STU3/CodeSystem/eRS-APIErrorCode-1",
            "code": ")" +
           ersCode + R"(",
            "display": ")" +
           display + R"("
          }
        ]
      })" +
           (diagnostics.empty() ? std::string()
                                : ",\n      \"diagnostics\": \"" + diagnostics + "\"") +
           R"(
    },
    {
      "severity": "error",
      "code": "invalid",
      "details": {"coding": [{"code": "SECOND_ISSUE_IGNORED"}]}
    }
  ]
})";
}

std::string kindName(Outcome::Kind kind) {
    switch (kind) {
    case Outcome::Kind::Acknowledged:
        return "acknowledged";
    case Outcome::Kind::Retriable:
        return "retriable";
    case Outcome::Kind::Permanent:
        return "permanent";
    case Outcome::Kind::Deferred:
        return "deferred";
    }
    return "?";
}

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("classifyFhir acknowledges every 2xx") {
        for (const int status : {200, 201, 204}) {
            CAPTURE(status);
            const Outcome outcome = classifyFhir(replied(status, "{}", kFhirJson), false);
            CHECK(kindName(outcome.kind) == "acknowledged");
            CHECK(outcome.detail == "HTTP " + std::to_string(status));
            CHECK(outcome.error.code.empty());
        }
    }

    TEST_CASE("classifyFhir retries 429 and 503 and honours Retry-After in seconds") {
        for (const int status : {429, 503}) {
            CAPTURE(status);
            const Outcome outcome = classifyFhir(
                replied(status,
                        ersOperationOutcome("throttled", "TOO_MANY_REQUESTS", "Too many requests",
                                            "Rate limit exceeded"),
                        {{"Content-Type", "application/fhir+json"}, {"Retry-After", "2"}}),
                false); // even a create: the request was turned away, not processed
            CHECK(kindName(outcome.kind) == "retriable");
            CHECK(outcome.error.code == "http-" + std::to_string(status));
            CHECK(outcome.error.text == "Rate limit exceeded");
            REQUIRE(outcome.retryAfter);
            CHECK(*outcome.retryAfter == Milliseconds(2000));
            CHECK(outcome.transportError);
            CHECK(outcome.detail == "HTTP " + std::to_string(status) + "; TOO_MANY_REQUESTS");
        }
    }

    TEST_CASE("classifyFhir without Retry-After leaves the wait to the retry policy") {
        const Outcome outcome = classifyFhir(replied(429), true);
        CHECK(kindName(outcome.kind) == "retriable");
        CHECK_FALSE(outcome.retryAfter.has_value());
        CHECK(outcome.error.text == "throttled or unavailable");
    }

    TEST_CASE("classifyFhir retries timeouts, resets and 504 of an idempotent request") {
        const Outcome timeout =
            classifyFhir(failed(TransportResult::Failure::Timeout, "Operation timed out"), true);
        CHECK(kindName(timeout.kind) == "retriable");
        CHECK(timeout.error.code == "transport-timeout");
        CHECK(timeout.transportError);

        const Outcome reset =
            classifyFhir(failed(TransportResult::Failure::ConnectionReset, "Recv failure"), true);
        CHECK(kindName(reset.kind) == "retriable");
        CHECK(reset.error.code == "transport-connection-reset");

        const Outcome gateway = classifyFhir(
            replied(504,
                    ersOperationOutcome("timeout", "PAS_NOT_RESPONDING", "PAS not responding", ""),
                    {{"Retry-After", "5"}}),
            true);
        CHECK(kindName(gateway.kind) == "retriable");
        CHECK(gateway.error.code == "http-504");
        CHECK(gateway.error.text == "PAS not responding");
        REQUIRE(gateway.retryAfter);
        CHECK(*gateway.retryAfter == Milliseconds(5000));
    }

    TEST_CASE("classifyFhir never resends a non-idempotent request whose outcome is unknown") {
        const Outcome timeout =
            classifyFhir(failed(TransportResult::Failure::Timeout, "Operation timed out"), false);
        CHECK(kindName(timeout.kind) == "permanent");
        CHECK(timeout.error.code == "outcome-unknown");
        CHECK(timeout.error.text == "timeout (Operation timed out): e-RS may have acted on the"
                                    " request, so it is not sent again");
        CHECK(timeout.detail == "timeout; outcome unknown");

        for (const auto failure :
             {TransportResult::Failure::ConnectionReset, TransportResult::Failure::Tls,
              TransportResult::Failure::Other}) {
            CAPTURE(static_cast<int>(failure));
            const Outcome outcome = classifyFhir(failed(failure, ""), false);
            CHECK(kindName(outcome.kind) == "permanent");
            CHECK(outcome.error.code == "outcome-unknown");
        }

        for (const int status : {502, 504}) {
            CAPTURE(status);
            const Outcome outcome = classifyFhir(replied(status), false);
            CHECK(kindName(outcome.kind) == "permanent");
            CHECK(outcome.error.code == "outcome-unknown");
            CHECK(outcome.error.text == "HTTP " + std::to_string(status) +
                                            ": e-RS may have acted on the request, so it is not"
                                            " sent again");
        }
    }

    TEST_CASE("classifyFhir retries a failed connect even for a create: nothing was sent") {
        const Outcome outcome = classifyFhir(
            failed(TransportResult::Failure::ConnectFailed, "Connection refused"), false);
        CHECK(kindName(outcome.kind) == "retriable");
        CHECK(outcome.error.code == "transport-connect-failed");
        CHECK(outcome.error.text == "Connection refused");
    }

    TEST_CASE("classifyFhir fails 409 and 423 with their own codes for the workflow to re-read") {
        const Outcome conflict = classifyFhir(
            replied(409,
                    ersOperationOutcome("conflict", "CONFLICT", "Version conflict",
                                        "The referral has been changed since it was read"),
                    kFhirJson),
            true);
        CHECK(kindName(conflict.kind) == "permanent");
        CHECK(conflict.error.code == "http-409");
        CHECK(conflict.error.text == "The referral has been changed since it was read");
        CHECK(conflict.detail == "HTTP 409; CONFLICT");

        const Outcome locked = classifyFhir(replied(423), true);
        CHECK(kindName(locked.kind) == "permanent");
        CHECK(locked.error.code == "http-423");
        CHECK(locked.error.text == "locked");
    }

    TEST_CASE("classifyFhir takes the e-RS code and diagnostics of a 422 OperationOutcome") {
        const Outcome outcome = classifyFhir(
            replied(422,
                    ersOperationOutcome("business-rule", "DUPLICATE_SERVICE",
                                        "Duplicate service in shortlist",
                                        "Service 10001 appears twice in the shortlist"),
                    kFhirJson),
            false);
        CHECK(kindName(outcome.kind) == "permanent");
        CHECK(outcome.error.code == "DUPLICATE_SERVICE");
        CHECK(outcome.error.text == "Service 10001 appears twice in the shortlist");
        CHECK(outcome.detail == "HTTP 422; DUPLICATE_SERVICE");
        CHECK_FALSE(outcome.transportError);
    }

    TEST_CASE("classifyFhir falls back to the coding's display and then to the issue code") {
        const Outcome display = classifyFhir(
            replied(403, ersOperationOutcome("forbidden", "NO_ACCESS", "No access", ""), kFhirJson),
            true);
        CHECK(display.error.code == "NO_ACCESS");
        CHECK(display.error.text == "No access");

        const Outcome issueCode = classifyFhir(
            replied(400,
                    R"({"resourceType":"OperationOutcome","issue":[{"severity":"error",)"
                    R"("code":"invalid","details":{"text":"Body is not a Parameters resource"}}]})",
                    kFhirJson),
            true);
        CHECK(issueCode.error.code == "invalid");
        CHECK(issueCode.error.text == "Body is not a Parameters resource");

        const Outcome notFound = classifyFhir(replied(404, "<html>Not Found</html>"), true);
        CHECK(kindName(notFound.kind) == "permanent");
        CHECK(notFound.error.code == "http-404");
        CHECK(notFound.error.text == "HTTP 404");

        const Outcome otherResource =
            classifyFhir(replied(422, R"({"resourceType":"Bundle","issue":[]})"), true);
        CHECK(otherResource.error.code == "http-422");
    }

    TEST_CASE("classifyFhir fails other 4xx and retries other 5xx") {
        for (const int status : {401, 405, 410, 412, 413}) {
            CAPTURE(status);
            const Outcome outcome = classifyFhir(replied(status), false);
            CHECK(kindName(outcome.kind) == "permanent");
            CHECK(outcome.error.code == "http-" + std::to_string(status));
        }
        for (const int status : {500, 507}) {
            CAPTURE(status);
            const Outcome outcome = classifyFhir(replied(status), false);
            CHECK(kindName(outcome.kind) == "retriable");
            CHECK(outcome.error.code == "http-" + std::to_string(status));
            CHECK(outcome.transportError);
        }
        const Outcome redirect = classifyFhir(replied(302), true);
        CHECK(kindName(redirect.kind) == "permanent");
        CHECK(redirect.error.code == "http-302");
    }
}
