// EPS for an agent of several practices (docs/multi-practice.md): each prescription and
// cancellation goes to Spine under the party key and ASID of the practice it is made for.

#include "StoreTestSupport.hpp"

#include <gp/agent/eps/EpsCancellations.hpp>
#include <gp/agent/eps/EpsSubmissions.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace gp::agent;

namespace {

// No prescriptionId: each submission gets a new one.
const char* kPrescription = R"({
  "patient": {"nhsNumber": "9449304130", "family": "SMITH", "given": "JANE",
              "birthDate": "1980-04-01", "gender": "female", "postcode": "LS1 6AE"},
  "prescriber": {"odsCode": "A83008", "sdsUserId": "555086689106",
                 "sdsRoleProfileId": "555086718101", "name": "DR A JONES",
                 "professionalCode": "G1234567"},
  "treatmentType": "acute",
  "items": [{"dmdCode": "39732311000001104", "description": "Amoxicillin 250mg capsules",
             "quantity": 21, "dosage": "One capsule three times a day"}]})";

const Practice kSecond{"B81001", "B81001-822345", "200000000002", "", ""};
const Practice kThird{"C82001", "C82001-733456", "200000000003", "", ""};

struct Fixture {
    gp::test::OpenStore open;
    Store& store = *open.store;
    EpsRouting routing{"A83008-9199121",        "200000001234",          "A83008",
                       "http://127.0.0.1:7680", "YES-0000806",           "S20001A000100",
                       "990101234567",          std::chrono::minutes(5), 0};
    EpsSubmissions submissions{store, open.clock, open.random, routing};
    EpsCancellations cancellations{store, open.clock, open.random, routing};

    ClaimedMessage claim(const std::string& messageId) {
        auto claimed = store.claimDue("test", std::chrono::minutes(2), 16);
        REQUIRE(claimed.ok());
        for (const auto& message : *claimed) {
            if (message.record.messageId == messageId) {
                return message;
            }
        }
        FAIL("message " << messageId << " was not due");
        return {};
    }

    std::string cancellationOf(const SubmissionResult& sent) {
        return R"({"prescriptionId": ")" + sent.prescriptionId + R"(", "lineItemId": ")" +
               sent.itemIds.front() + R"(", "reason": "0001"})";
    }
};

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("a prescription goes out under its practice's party key and ASID" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto ofSecond = f.submissions.submit(kPrescription, "api:hosted", kSecond);
        REQUIRE(ofSecond.kind == SubmissionResult::Kind::Accepted);
        const auto ofDefault = f.submissions.submit(kPrescription, "api:hosted");
        REQUIRE(ofDefault.kind == SubmissionResult::Kind::Accepted);

        const ClaimedMessage second = f.claim(ofSecond.messageId);
        CHECK(second.record.practice == "B81001");
        CHECK(second.body.find("B81001-822345") != std::string::npos);
        CHECK(second.body.find("200000000002") != std::string::npos);
        CHECK(second.body.find("A83008-9199121") == std::string::npos);
        CHECK(second.body.find("200000001234") == std::string::npos);

        const auto byDefault = f.store.findMessage(ofDefault.messageId);
        REQUIRE(byDefault.has_value());
        CHECK(byDefault->practice == "A83008");

        // The audit row names the practice it was accepted for.
        bool named = false;
        for (const AuditRow& row : f.store.auditForMessage(ofSecond.messageId)) {
            named = named || (row.event == "accepted" &&
                              row.detail.find("practice B81001") != std::string::npos);
        }
        CHECK(named);
    }

    TEST_CASE("a prescription is cancelled only by the practice that sent it" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto sent = f.submissions.submit(kPrescription, "api:hosted", kSecond);
        REQUIRE(sent.kind == SubmissionResult::Kind::Accepted);

        const auto wrong = f.cancellations.cancel(f.cancellationOf(sent), "api:hosted", kThird);
        REQUIRE(wrong.kind == CancellationResult::Kind::Invalid);
        REQUIRE_FALSE(wrong.errors.empty());
        CHECK(wrong.errors.front().where == "practice");
        CHECK(wrong.errors.front().message.find("sent for practice B81001, not C82001") !=
              std::string::npos);

        const auto right = f.cancellations.cancel(f.cancellationOf(sent), "api:hosted", kSecond);
        REQUIRE(right.kind == CancellationResult::Kind::Accepted);
        const ClaimedMessage cancellation = f.claim(right.messageId);
        CHECK(cancellation.record.practice == "B81001");
        CHECK(cancellation.body.find("B81001-822345") != std::string::npos);
        CHECK(cancellation.body.find("A83008-9199121") == std::string::npos);
    }
}
