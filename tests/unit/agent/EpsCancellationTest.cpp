#include "StoreTestSupport.hpp"

#include <gp/agent/eps/EpsCancellations.hpp>
#include <gp/agent/eps/EpsStatusTracker.hpp>
#include <gp/agent/eps/EpsSubmissions.hpp>
#include <gp/messaging/ebxml/Envelope.hpp>
#include <gp/messaging/eps/Cancellation.hpp>
#include <gp/messaging/mime/Multipart.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <doctest/doctest.h>

#include <algorithm>

using namespace gp::agent;
namespace eps = gp::messaging::eps;
using gp::test::stateName;

namespace {

constexpr const char* kOwner = "test-dispatcher";
constexpr const char* kUnknownPrescription = "0DA698-A83008-F50593";
constexpr const char* kSomeItem = "3E3B5A1C-7D2F-4E8A-9B1C-5D6E7F809A1B";

const char* kPrescription = R"({"prescriptionId": "24F5DA-A83008-7EFE6Z",
  "patient": {"nhsNumber": "9449304130", "family": "SMITH", "given": "JANE",
              "birthDate": "1980-04-01", "gender": "female", "postcode": "LS1 6AE"},
  "prescriber": {"odsCode": "A83008", "sdsUserId": "555086689106",
                 "sdsRoleProfileId": "555086718101", "name": "DR A JONES",
                 "professionalCode": "G1234567"},
  "treatmentType": "acute",
  "items": [{"dmdCode": "39732311000001104", "description": "Amoxicillin 250mg capsules",
             "quantity": 21, "dosage": "One capsule three times a day"},
            {"dmdCode": "39732311000001104", "description": "Amoxicillin 250mg capsules",
             "quantity": 21, "dosage": "One capsule three times a day"}]})";

struct Fixture {
    gp::test::OpenStore open;
    Store& store = *open.store;
    EpsRouting routing{"A83008-9199121",        "200000001234",          "A83008",
                       "http://127.0.0.1:7680", "YES-0000806",           "S20001A000100",
                       "990101234567",          std::chrono::minutes(5), 0};
    EpsSubmissions submissions{store, open.clock, open.random, routing};
    EpsCancellations cancellations{store, open.clock, open.random, routing};
    EpsStatusTracker tracker{store};

    SubmissionResult prescribe() {
        auto result = submissions.submit(kPrescription, "test");
        REQUIRE(result.kind == SubmissionResult::Kind::Accepted);
        return result;
    }

    static std::string owner() { return kOwner; }

    CancellationResult cancel(const std::string& json) {
        return cancellations.cancel(json, "test");
    }

    /// Claims every due message and ends `messageId` as `how` says; others are released.
    void finish(const std::string& messageId, const std::function<void()>& how) {
        auto claimed = store.claimDue(kOwner, std::chrono::minutes(2), 16);
        REQUIRE(claimed.ok());
        bool found = false;
        for (const auto& message : *claimed) {
            if (message.record.messageId == messageId) {
                found = true;
            } else {
                REQUIRE(store
                            .recordRetry(message.record.messageId, kOwner, open.clock.now(),
                                         {"http-503", "busy"}, true)
                            .ok());
            }
        }
        REQUIRE(found);
        how();
        tracker.messageFinished(*store.findMessage(messageId));
    }

    void ack(const std::string& messageId, const std::optional<StoredReply>& reply = {}) {
        finish(messageId, [&] {
            REQUIRE((reply ? store.recordAckedWithReply(messageId, kOwner, "HTTP 200", *reply)
                           : store.recordAcked(messageId, kOwner, "HTTP 202"))
                        .ok());
        });
    }

    EpsItem item(const std::string& prescriptionId, const std::string& lineItemId) {
        for (const auto& found : store.itemsOf(prescriptionId)) {
            if (found.lineItemId == lineItemId) {
                return found;
            }
        }
        FAIL("no item " << lineItemId);
        return {};
    }
};

std::string cancelJson(const std::string& prescriptionId, const std::string& lineItemId,
                       const std::string& reason = "0001") {
    return R"({"prescriptionId": ")" + prescriptionId + R"(", "lineItemId": ")" + lineItemId +
           R"(", "reason": ")" + reason + R"("})";
}

/// Spine's same-connection reply to a cancellation: Acknowledgment plus the response.
StoredReply cancellationReply(const std::string& prescriptionId, const std::string& lineItemId,
                              const std::string& code, const std::string& dispenser = "") {
    eps::CancellationResponse response;
    response.messageId = "0A1FD9EF-A3D5-4E95-84CD-252073A23086";
    response.prescriptionId = prescriptionId;
    response.lineItemId = lineItemId;
    response.code = code;
    response.displayName = std::string(eps::cancellationResponseText(code));
    response.dispenserOds = dispenser;
    gp::messaging::ebxml::AcknowledgmentSpec ack;
    ack.messageId = "6E1D2C3B-4A5F-4061-8273-94A5B6C7D8E9";
    ack.refToMessageId = "5E0C3B1A-2D4F-4A6B-8C7D-9E0F1A2B3C4D";
    gp::messaging::mime::Multipart multipart;
    gp::messaging::mime::Part envelope;
    envelope.contentId = "ebXMLHeader@spine.nhs.uk";
    envelope.contentType = "text/xml";
    envelope.body = gp::messaging::ebxml::buildAcknowledgment(ack);
    gp::messaging::mime::Part payload;
    payload.contentId = "payload@spine.nhs.uk";
    payload.contentType = "text/xml";
    payload.body = eps::buildCancellationResponse(response);
    multipart.parts = {envelope, payload};
    return StoredReply{200, gp::messaging::mime::contentTypeHeader(multipart), "", "",
                       gp::messaging::mime::serialize(multipart)};
}

bool names(const std::vector<gp::Error>& errors, const std::string& field) {
    return std::any_of(errors.begin(), errors.end(),
                       [&](const gp::Error& e) { return e.where == field; });
}

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("a submitted prescription records its items as queued with the message" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto sent = f.prescribe();
        REQUIRE(sent.itemIds.size() == 2);
        const auto items = f.store.itemsOf(sent.prescriptionId);
        REQUIRE(items.size() == 2);
        CHECK(items[0].lineItemId == sent.itemIds[0]);
        CHECK(items[1].lineItemId == sent.itemIds[1]);
        CHECK(items[0].state == "queued");
        CHECK(items[0].prescriptionMessageId == sent.messageId);
        const auto prescription = f.store.findPrescription(sent.prescriptionId);
        REQUIRE(prescription);
        CHECK(prescription->messageId == sent.messageId);
        CHECK(prescription->nhsNumber == "9449304130");
        CHECK(prescription->prescriberJson.find("555086718101") != std::string::npos);
        CHECK(f.store.epsMessagesOf(sent.prescriptionId).size() == 1);
    }

    TEST_CASE("a prescription id sent again is queued for Spine to judge, and the items stay "
              "with the first message" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto first = f.prescribe();
        f.ack(first.messageId);
        const auto again = f.submissions.submit(kPrescription, "test");
        REQUIRE(again.kind == SubmissionResult::Kind::Accepted);
        CHECK(f.store.epsMessagesOf(first.prescriptionId).size() == 2);
        CHECK(f.store.findPrescription(first.prescriptionId)->messageId == first.messageId);
        f.finish(again.messageId, [&] {
            REQUIRE(
                f.store
                    .recordFailed(again.messageId, f.owner(), {"0002", "Duplicate prescription ID"})
                    .ok());
        });
        const auto items = f.store.itemsOf(first.prescriptionId);
        REQUIRE(items.size() == 2);
        CHECK(items[0].state == "sent");
        CHECK(items[0].prescriptionMessageId == first.messageId);
    }

    TEST_CASE("a prescription sent again after Spine refused it takes the items over" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto first = f.prescribe();
        f.finish(first.messageId, [&] {
            REQUIRE(f.store.recordFailed(first.messageId, f.owner(), {"5000", "Unable to process"})
                        .ok());
        });
        const auto again = f.submissions.submit(kPrescription, "test");
        REQUIRE(again.kind == SubmissionResult::Kind::Accepted);
        const auto items = f.store.itemsOf(first.prescriptionId);
        REQUIRE(items.size() == 2);
        CHECK(items[0].state == "queued");
        CHECK(items[0].lineItemId == again.itemIds[0]);
        CHECK(items[0].prescriptionMessageId == again.messageId);
        f.ack(again.messageId);
        CHECK(f.item(first.prescriptionId, again.itemIds[0]).state == "sent");
    }

    TEST_CASE("a cancellation defaults to the prescription's prescriber and patient" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto sent = f.prescribe();
        const auto result = f.cancel(cancelJson(sent.prescriptionId, sent.itemIds[1], "0003"));
        REQUIRE(result.kind == CancellationResult::Kind::Accepted);
        const auto item = f.item(sent.prescriptionId, sent.itemIds[1]);
        CHECK(item.state == "cancel-requested");
        CHECK(item.cancelMessageId == result.messageId);
        CHECK(item.cancelReason == "0003");
        CHECK(f.item(sent.prescriptionId, sent.itemIds[0]).state == "queued");

        const auto record = f.store.findMessage(result.messageId);
        REQUIRE(record);
        CHECK(record->interaction == "PORX_IN030101SM32");
        CHECK(record->businessId == sent.prescriptionId);
        auto claimed = f.store.claimDue(kOwner, std::chrono::minutes(2), 16);
        REQUIRE(claimed.ok());
        const auto body = std::find_if(claimed->begin(), claimed->end(), [&](const auto& m) {
                              return m.record.messageId == result.messageId;
                          })->body;
        CHECK(body.find("PORX_IN030101SM32") != std::string::npos);
        CHECK(body.find("555086718101") != std::string::npos); // role profile, from the original
        CHECK(body.find("9449304130") != std::string::npos);
        CHECK(body.find(sent.itemIds[1]) != std::string::npos);
        CHECK(body.find("Change to medication treatment regime") != std::string::npos);
    }

    TEST_CASE("a cancellation is refused naming each field that is wrong" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto sent = f.prescribe();
        SUBCASE("an item the prescription does not have, and a reason out of range") {
            const auto result = f.cancel(cancelJson(sent.prescriptionId, kSomeItem, "0009"));
            CHECK(result.kind == CancellationResult::Kind::Invalid);
            CHECK(names(result.errors, "lineItemId"));
            CHECK(names(result.errors, "reason"));
        }
        SUBCASE("a prescription unknown here needs the patient and prescriber") {
            const auto result = f.cancel(cancelJson(kUnknownPrescription, kSomeItem));
            CHECK(result.kind == CancellationResult::Kind::Invalid);
            CHECK(names(result.errors, "nhsNumber"));
            CHECK(names(result.errors, "prescriber"));
        }
        SUBCASE("missing and mistyped fields") {
            const auto result = f.cancel(R"({"prescriptionId": 7, "reason": "0001"})");
            CHECK(result.kind == CancellationResult::Kind::Invalid);
            CHECK(names(result.errors, "prescriptionId"));
            CHECK(names(result.errors, "lineItemId"));
        }
        SUBCASE("not JSON") {
            const auto result = f.cancel("{");
            CHECK(result.kind == CancellationResult::Kind::Invalid);
            REQUIRE(result.errors.size() == 1);
            CHECK(result.errors[0].message.rfind("the body is not valid JSON", 0) == 0);
        }
        CHECK(f.store.epsMessagesOf(sent.prescriptionId).size() == 1);
    }

    TEST_CASE("a cancellation of a prescription unknown here is sent and recorded" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto result = f.cancel(
            R"({"prescriptionId": "0DA698-A83008-F50593", "lineItemId": "3e3b5a1c-7d2f-4e8a-9b1c-5d6e7f809a1b",
                "reason": "0001", "nhsNumber": "9449304130",
                "prescriber": {"odsCode": "A83008", "sdsUserId": "555086689106",
                               "sdsRoleProfileId": "555086718101", "name": "DR A JONES"}})");
        REQUIRE(result.kind == CancellationResult::Kind::Accepted);
        CHECK(result.lineItemId == kSomeItem); // upper-cased, as Spine compares ids
        const auto item = f.item(kUnknownPrescription, kSomeItem);
        CHECK(item.state == "cancel-requested");
        CHECK(item.prescriptionMessageId.empty());

        f.ack(result.messageId, cancellationReply(kUnknownPrescription, kSomeItem, "0008"));
        const auto after = f.item(kUnknownPrescription, kSomeItem);
        CHECK(after.state == "not-found");
        CHECK(after.code == "0008");
        CHECK(after.text == "Prescription/item not found");
    }

    TEST_CASE("items follow their prescription's outcome" * doctest::test_suite("store-contract")) {
        Fixture f;
        const auto sent = f.prescribe();
        SUBCASE("acked: sent") {
            f.ack(sent.messageId);
            CHECK(f.item(sent.prescriptionId, sent.itemIds[0]).state == "sent");
            CHECK(f.item(sent.prescriptionId, sent.itemIds[1]).state == "sent");
        }
        SUBCASE("failed: rejected with Spine's code") {
            f.finish(sent.messageId, [&] {
                REQUIRE(
                    f.store
                        .recordFailed(sent.messageId, kOwner, {"0002", "Duplicate prescription ID"})
                        .ok());
            });
            const auto item = f.item(sent.prescriptionId, sent.itemIds[0]);
            CHECK(item.state == "rejected");
            CHECK(item.code == "0002");
            CHECK(item.text == "Duplicate prescription ID");
        }
        SUBCASE("expired: undelivered") {
            f.finish(sent.messageId, [&] {
                REQUIRE(f.store.recordExpired(sent.messageId, kOwner, "persist duration").ok());
            });
            CHECK(f.item(sent.prescriptionId, sent.itemIds[0]).state == "undelivered");
            CHECK(f.item(sent.prescriptionId, sent.itemIds[0]).code == "expired");
        }
    }

    TEST_CASE("each cancellation response code sets its item state" *
              doctest::test_suite("store-contract")) {
        const std::vector<std::pair<std::string, std::string>> expected = {
            {"0001", "cancelled"},
            {"0002", "cancel-pending-with-dispenser"},
            {"0003", "cancel-pending-with-dispenser"},
            {"0004", "dispensed"},
            {"0005", "expired"},
            {"0006", "already-cancelled"},
            {"0008", "not-found"},
            {"5000", "cancel-failed"},
            {"5888", "cancel-failed"}};
        for (const auto& [code, state] : expected) {
            CAPTURE(code);
            CHECK(EpsStatusTracker::stateForResponseCode(code) == state);
        }
        Fixture f;
        const auto sent = f.prescribe();
        f.ack(sent.messageId);
        const auto result = f.cancel(cancelJson(sent.prescriptionId, sent.itemIds[0]));
        f.ack(result.messageId,
              cancellationReply(sent.prescriptionId, sent.itemIds[0], "0002", "FCG71"));
        const auto item = f.item(sent.prescriptionId, sent.itemIds[0]);
        CHECK(item.state == "cancel-pending-with-dispenser");
        CHECK(item.code == "0002");
        CHECK(item.text.find("(dispenser FCG71)") != std::string::npos);
    }

    TEST_CASE("a cancellation that overtook its prescription is held, then cancelled when the "
              "prescription is acked" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto sent = f.prescribe();
        const auto result = f.cancel(cancelJson(sent.prescriptionId, sent.itemIds[0]));
        // The cancellation gets there first: Spine has no such prescription yet.
        f.ack(result.messageId, cancellationReply(sent.prescriptionId, sent.itemIds[0], "0008"));
        auto item = f.item(sent.prescriptionId, sent.itemIds[0]);
        CHECK(item.state == "cancel-held");
        CHECK(item.code == "0008");
        CHECK(f.item(sent.prescriptionId, sent.itemIds[1]).state == "queued");

        f.open.clock.advance(std::chrono::seconds(5));
        f.ack(sent.messageId);
        item = f.item(sent.prescriptionId, sent.itemIds[0]);
        CHECK(item.state == "cancelled");
        CHECK(item.code == "0001");
        CHECK(f.item(sent.prescriptionId, sent.itemIds[1]).state == "sent");
    }

    TEST_CASE("a cancellation that ends without a response is cancel-failed with the reason" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto sent = f.prescribe();
        f.ack(sent.messageId);
        SUBCASE("acked with no CancellationResponse") {
            const auto result = f.cancel(cancelJson(sent.prescriptionId, sent.itemIds[0]));
            f.ack(result.messageId);
            CHECK(f.item(sent.prescriptionId, sent.itemIds[0]).code == "no-response");
        }
        SUBCASE("refused by Spine") {
            const auto result = f.cancel(cancelJson(sent.prescriptionId, sent.itemIds[0]));
            f.finish(result.messageId, [&] {
                REQUIRE(f.store
                            .recordFailed(result.messageId, kOwner,
                                          {"ValueNotRecognized", "501319:Unknown eb:CPAId"})
                            .ok());
            });
            CHECK(f.item(sent.prescriptionId, sent.itemIds[0]).code == "ValueNotRecognized");
        }
        SUBCASE("expired") {
            const auto result = f.cancel(cancelJson(sent.prescriptionId, sent.itemIds[0]));
            f.finish(result.messageId, [&] {
                REQUIRE(f.store.recordExpired(result.messageId, kOwner, "persist duration").ok());
            });
            CHECK(f.item(sent.prescriptionId, sent.itemIds[0]).code == "expired");
        }
        CHECK(f.item(sent.prescriptionId, sent.itemIds[0]).state == "cancel-failed");
    }

    TEST_CASE("item changes are audited without patient data" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto sent = f.prescribe();
        f.ack(sent.messageId);
        bool found = false;
        for (const auto& row : f.store.auditForMessage(sent.messageId)) {
            if (row.event == "eps-item-updated") {
                found = true;
                CHECK(row.detail.find(sent.itemIds[0] + " sent") != std::string::npos);
                CHECK(row.detail.find("9449304130") == std::string::npos);
            }
        }
        CHECK(found);
    }
}
