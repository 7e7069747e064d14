#include "MockTestSupport.hpp"

#include <gp/messaging/eps/Cancellation.hpp>
#include <gp/messaging/mime/Multipart.hpp>
#include <gp/messaging/spine/SpineReply.hpp>
#include <gp/mock/EpsRules.hpp>
#include <gp/mock/MockService.hpp>

#include <doctest/doctest.h>

#include <functional>

using namespace gp::mock;
namespace eps = gp::messaging::eps;
namespace spine = gp::messaging::spine;

namespace {

constexpr const char* kCancelMessageId = "6A1B2C3D-4E5F-4A6B-8C7D-8E9FA0B1C2D3";
constexpr const char* kItem0 = "B1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C50";
constexpr const char* kUnknownItem = "C1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C59";

struct CancelSpec {
    std::string messageId = kCancelMessageId;
    std::string prescriptionId = test::kValidPrescriptionId;
    std::string lineItemId = kItem0;
    std::string reason = "0001";
};

MockRequest cancelRequest(const CancelSpec& spec = {}) {
    eps::CancellationRequest request;
    request.cancellationId = "D1E2F3A4-B5C6-4D7E-8F90-A1B2C3D4E5F6";
    request.prescriptionId = spec.prescriptionId;
    request.lineItemId = spec.lineItemId;
    request.reasonCode = spec.reason;
    request.nhsNumber = test::kValidNhsNumber;
    request.prescriber = {"A83008", "555086689106", "555086718101", "DR A PRESCRIBER", "G1234567"};
    request.organisation = {"A83008", "TEST PRACTICE"};
    request.effectiveTime = std::chrono::sys_seconds(std::chrono::seconds(1'773'557'500));

    gp::messaging::ebxml::Message message;
    auto& header = message.header;
    header.fromPartyId = test::kSenderPartyKey;
    header.toPartyId = "YES-0000806";
    header.cpaId = "S20001A000100";
    header.conversationId = "8E1F2A3B-4C5D-4E6F-8A7B-9C0D1E2F3A4B";
    header.service = "urn:nhs:names:services:mm";
    header.action = "PORX_IN030101SM32";
    header.messageId = spec.messageId;
    header.timestamp = request.effectiveTime;
    header.duplicateElimination = true;
    header.ackRequested = gp::messaging::ebxml::AckRequested::ToPartyMsh;
    header.syncReply = true;
    message.payload = eps::buildCancellationRequest(
        request, {spec.messageId, header.timestamp, "200000000359", "990101234567"});
    const auto body = gp::messaging::ebxml::buildMessage(message);

    MockRequest out;
    out.method = "POST";
    out.path = "/reliablemessaging/reliablerequest";
    out.headers = {{"Content-Type", body.contentType},
                   {"SOAPAction", "urn:nhs:names:services:mm/PORX_IN030101SM32"}};
    out.body = body.body;
    return out;
}

struct Fixture {
    explicit Fixture(const std::function<void(MockConfig&)>& adjust = {})
        : service(configure(dir.path(), adjust), clock, random, waiter) {}

    static MockConfig configure(const std::string& stateDir,
                                const std::function<void(MockConfig&)>& adjust) {
        auto config = test::testConfig(stateDir);
        if (adjust) {
            adjust(config);
        }
        return config;
    }

    MockAction prescribe(int items = 1) {
        test::RequestSpec spec;
        spec.items = items;
        return service.eps().handle(test::eprRequest(spec));
    }
    MockAction cancel(const CancelSpec& spec = {}) {
        return service.eps().handle(cancelRequest(spec));
    }
    MockAction poll(const std::string& location) {
        MockRequest request;
        request.method = "GET";
        request.path = location;
        return service.eps().poll(request);
    }
    std::vector<JournalEntry> journal(const std::string& messageId = {}) {
        return service.store().journal(messageId).value();
    }

    test::TempDir dir;
    test::ManualClock clock;
    test::SeededRandom random;
    test::RecordingWaiter waiter;
    MockService service;
};

/// The CancellationResponse in a same-connection reply, which must read as an acknowledgement.
eps::CancellationResponse responseOf(const MockAction& action) {
    REQUIRE(action.kind == MockAction::Kind::Reply);
    REQUIRE(action.reply.status == 200);
    const auto reply = spine::parseSpineReply(action.reply.contentType, action.reply.body);
    REQUIRE(reply.ok());
    CHECK(std::string(spine::toString(reply->kind)) == "Acknowledgment");
    const auto multipart = gp::messaging::mime::parse(action.reply.contentType, action.reply.body);
    REQUIRE(multipart.ok());
    REQUIRE(multipart->parts.size() == 2);
    auto response = eps::parseCancellationResponse(multipart->parts[1].body);
    REQUIRE(response.ok());
    return std::move(response).value();
}

std::string headerOf(const MockReply& reply, const std::string& name) {
    for (const auto& [key, value] : reply.headers) {
        if (key == name) {
            return value;
        }
    }
    return {};
}

MockRequest adminBody(const std::string& json) {
    MockRequest request;
    request.method = "POST";
    request.body = json;
    return request;
}

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("a cancellation of a live item is answered 0001, and a second one 0006") {
        Fixture f;
        REQUIRE(f.prescribe().reply.status == 200);
        const auto first = responseOf(f.cancel());
        CHECK(first.code == "0001");
        CHECK(first.displayName == "Prescription/item was cancelled");
        CHECK(first.prescriptionId == test::kValidPrescriptionId);
        CHECK(first.lineItemId == kItem0);
        CHECK(first.messageRef == kCancelMessageId);
        CHECK(first.cancellationRequestId == "D1E2F3A4-B5C6-4D7E-8F90-A1B2C3D4E5F6");
        CHECK(first.toAsid == "200000000359");
        const auto journal = f.journal(kCancelMessageId);
        REQUIRE(journal.size() == 1);
        CHECK(journal[0].interaction == "PORX_IN030101SM32");
        CHECK(journal[0].outcome == "processed");
        CHECK(journal[0].replyCode == "0001");

        CancelSpec again;
        again.messageId = "7A1B2C3D-4E5F-4A6B-8C7D-8E9FA0B1C2D4";
        CHECK(responseOf(f.cancel(again)).code == "0006");
    }

    TEST_CASE("a cancellation sent again under its MessageId gets the same bytes, not 0006") {
        Fixture f;
        REQUIRE(f.prescribe().reply.status == 200);
        const auto first = f.cancel();
        const auto replay = f.cancel();
        CHECK(replay.reply.body == first.reply.body);
        CHECK(responseOf(replay).code == "0001");
        const auto journal = f.journal(kCancelMessageId);
        REQUIRE(journal.size() == 2);
        CHECK(journal[1].outcome == "replayed");
        CHECK(journal[1].replyCode == "0001");
    }

    TEST_CASE("an item the prescription does not have is 0008 and nothing is held") {
        Fixture f;
        REQUIRE(f.prescribe().reply.status == 200);
        CancelSpec spec;
        spec.lineItemId = kUnknownItem;
        CHECK(responseOf(f.cancel(spec)).code == "0008");
        CHECK(f.journal(kCancelMessageId).at(0).outcome == "processed");
    }

    TEST_CASE("a cancellation before its prescription is held with 0008 and applied when the "
              "prescription lands") {
        Fixture f;
        const auto held = responseOf(f.cancel());
        CHECK(held.code == "0008");
        CHECK(held.displayName == "Prescription/item not found");
        CHECK(f.journal(kCancelMessageId).at(0).outcome == "held");

        f.clock.advance(std::chrono::seconds(2));
        REQUIRE(f.prescribe().reply.status == 200);
        const auto journal = f.journal(kCancelMessageId);
        REQUIRE(journal.size() == 2);
        CHECK(journal[1].outcome == "held-applied");
        CHECK(journal[1].replyCode == "0001");
        CHECK(journal[1].receivedAt == "2026-03-15T06:51:10.000Z");

        // The item is cancelled now: Spine's rules say so to the next cancellation.
        CancelSpec again;
        again.messageId = "7A1B2C3D-4E5F-4A6B-8C7D-8E9FA0B1C2D4";
        CHECK(responseOf(f.cancel(again)).code == "0006");
    }

    TEST_CASE("a held cancellation of an item its prescription turns out not to have is "
              "discarded") {
        Fixture f;
        CancelSpec spec;
        spec.lineItemId = kUnknownItem;
        CHECK(responseOf(f.cancel(spec)).code == "0008");
        REQUIRE(f.prescribe().reply.status == 200);
        const auto journal = f.journal(kCancelMessageId);
        REQUIRE(journal.size() == 2);
        CHECK(journal[1].outcome == "held-discarded");
        CHECK(journal[1].replyCode == "0008");
        CancelSpec live;
        live.messageId = "7A1B2C3D-4E5F-4A6B-8C7D-8E9FA0B1C2D4";
        CHECK(responseOf(f.cancel(live)).code == "0001");
    }

    TEST_CASE("a dispensed item is answered 0004 and one with a dispenser 0002 with its ODS "
              "code") {
        Fixture f;
        REQUIRE(f.prescribe(2).reply.status == 200);
        const auto dispensed = f.service.eps().setItemState(
            adminBody(std::string(R"({"prescriptionId": ")") + test::kValidPrescriptionId +
                      R"(", "lineItemId": ")" + kItem0 + R"("})"),
            "dispensed");
        CHECK(dispensed.status == 200);
        CHECK(responseOf(f.cancel()).code == "0004");

        const std::string item1 = "B1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C51";
        const auto withDispenser = f.service.eps().setItemState(
            adminBody(std::string(R"({"prescriptionId": ")") + test::kValidPrescriptionId +
                      R"(", "lineItemId": ")" + item1 + R"(", "dispenserOds": "FCG71"})"),
            "with-dispenser");
        CHECK(withDispenser.status == 200);
        CancelSpec second;
        second.messageId = "7A1B2C3D-4E5F-4A6B-8C7D-8E9FA0B1C2D4";
        second.lineItemId = item1;
        const auto response = responseOf(f.cancel(second));
        CHECK(response.code == "0002");
        CHECK(response.dispenserOds == "FCG71");
    }

    TEST_CASE("the admin item routes name what is wrong") {
        Fixture f;
        REQUIRE(f.prescribe().reply.status == 200);
        const auto unknown = f.service.eps().setItemState(
            adminBody(std::string(R"({"prescriptionId": ")") + test::kValidPrescriptionId +
                      R"(", "lineItemId": ")" + kUnknownItem + R"("})"),
            "dispensed");
        CHECK(unknown.status == 404);
        CHECK(unknown.body.find("\"field\":\"lineItemId\"") != std::string::npos);
        const auto missing =
            f.service.eps().setItemState(adminBody(R"({"lineItemId": "x"})"), "dispensed");
        CHECK(missing.status == 400);
        CHECK(missing.body.find("\"field\":\"prescriptionId\"") != std::string::npos);
        const auto noOds = f.service.eps().setItemState(
            adminBody(std::string(R"({"prescriptionId": ")") + test::kValidPrescriptionId +
                      R"(", "lineItemId": ")" + kItem0 + R"("})"),
            "with-dispenser");
        CHECK(noOds.status == 400);
        CHECK(noOds.body.find("\"field\":\"dispenserOds\"") != std::string::npos);
    }

    TEST_CASE("a cancellation with a bad prescription ID is answered 5888") {
        Fixture f;
        CancelSpec spec;
        spec.prescriptionId = "24F5DA-A83008-7EFE6A";
        CHECK(responseOf(f.cancel(spec)).code == "5888");
        CHECK(f.journal(kCancelMessageId).at(0).outcome == "processed");
    }

    TEST_CASE("a deferred interaction is answered 202 with a poll address that gives the reply") {
        Fixture f([](MockConfig& config) { config.deferredReplies = {"PORX_IN030101SM32"}; });
        REQUIRE(f.prescribe().reply.status == 200); // not deferred
        const auto first = f.cancel();
        REQUIRE(first.kind == MockAction::Kind::Reply);
        CHECK(first.reply.status == 202);
        CHECK(first.reply.body.empty());
        const std::string location = headerOf(first.reply, "Content-Location");
        REQUIRE(location.rfind("/_poll/", 0) == 0);

        const auto answered = f.poll(location);
        CHECK(responseOf(answered).code == "0001");
        // Polling again gets the same reply; a replay of the message gets it at once.
        CHECK(f.poll(location).reply.body == answered.reply.body);
        CHECK(f.cancel().reply.body == answered.reply.body);

        const auto journal = f.journal(kCancelMessageId);
        REQUIRE(journal.size() == 5);
        CHECK(journal[0].outcome == "processed");
        CHECK(journal[1].outcome == "deferred");
        CHECK(journal[1].replyCode == "202");
        CHECK(journal[2].outcome == "polled");
        CHECK(journal[2].replyCode == "0001");
        CHECK(journal[4].outcome == "replayed");
    }

    TEST_CASE("a deferred fault answers its first polls with 202 again") {
        Fixture f;
        FaultRule rule;
        rule.interaction = "PORX_IN020101SM31";
        rule.fault.type = Fault::Type::Deferred;
        rule.fault.polls = 2;
        f.service.faults().add(rule);

        const auto first = f.prescribe();
        CHECK(first.reply.status == 202);
        const std::string location = headerOf(first.reply, "Content-Location");
        REQUIRE_FALSE(location.empty());
        for (int i = 0; i < 2; ++i) {
            const auto notYet = f.poll(location);
            CHECK(notYet.reply.status == 202);
            CHECK(headerOf(notYet.reply, "Content-Location") == location);
        }
        const auto answer = f.poll(location);
        CHECK(answer.reply.status == 200);
        const auto reply = spine::parseSpineReply(answer.reply.contentType, answer.reply.body);
        REQUIRE(reply.ok());
        CHECK(std::string(spine::toString(reply->kind)) == "ApplicationAck");

        CHECK(f.poll("/_poll/NO-SUCH-TOKEN").reply.status == 404);
    }

    TEST_CASE("a deferred fault rule reads and writes its polls") {
        const auto rule = parseFaultRule(
            R"({"interaction": "PORX_IN020101SM31", "fault": {"type": "deferred", "polls": 3}})");
        REQUIRE(rule.ok());
        CHECK((rule->fault.type == Fault::Type::Deferred));
        CHECK(rule->fault.polls == 3);
        CHECK(
            toJson(*rule) ==
            R"({"interaction":"PORX_IN020101SM31","times":1,"fault":{"type":"deferred","polls":3}})");
        const auto bad =
            parseFaultRule(R"({"interaction": "*", "fault": {"type": "deferred", "polls": -1}})");
        REQUIRE_FALSE(bad.ok());
        CHECK(bad.error().describe() == "fault.polls: must be a whole number from 0 to 1000000");
    }

    TEST_CASE("Spine's cancellation rules decide by the item's state") {
        CHECK(decideCancellation(false, std::nullopt).code == "0008");
        CHECK(decideCancellation(false, std::nullopt).hold);
        CHECK_FALSE(decideCancellation(true, std::nullopt).hold);
        CHECK(decideCancellation(true, std::nullopt).code == "0008");
        const auto live = decideCancellation(true, ItemState{"live", ""});
        CHECK(live.code == "0001");
        CHECK(live.newItemState == "cancelled");
        CHECK(decideCancellation(true, ItemState{"cancelled", ""}).code == "0006");
        CHECK(decideCancellation(true, ItemState{"dispensed", ""}).code == "0004");
        CHECK(decideCancellation(true, ItemState{"with-dispenser", "FCG71"}).dispenserOds ==
              "FCG71");
    }
}
