#include "MockTestSupport.hpp"

#include <gp/messaging/ebxml/Envelope.hpp>
#include <gp/messaging/spine/SpineReply.hpp>
#include <gp/mock/MockService.hpp>

#include <doctest/doctest.h>

#include <thread>

using namespace gp::mock;
namespace ebxml = gp::messaging::ebxml;
namespace spine = gp::messaging::spine;

namespace {

struct Fixture {
    Fixture() : service(test::testConfig(dir.path()), clock, random, waiter) {
        REQUIRE(service.store().upsertPractice(test::practiceA()).ok());
        REQUIRE(service.store().upsertPractice(test::practiceB()).ok());
    }

    MockAction send(const test::Gp2gpSpec& spec = {}) {
        return service.forwardReliable().handle(test::gp2gpRequest(spec));
    }
    std::vector<JournalEntry> journal() { return service.store().journal().value(); }
    std::vector<ForwardRecord> queue() { return service.store().forwards(false).value(); }

    test::TempDir dir;
    test::ManualClock clock;
    test::SeededRandom random;
    test::RecordingWaiter waiter;
    MockService service;
};

void checkMessageError(const MockAction& action, const std::string& code,
                       const std::string& description) {
    REQUIRE(action.kind == MockAction::Kind::Reply);
    CHECK(action.reply.status == 500);
    const auto reply = spine::parseSpineReply(action.reply.contentType, action.reply.body);
    REQUIRE(reply.ok());
    CHECK((reply->kind == spine::ReplyKind::MessageError));
    REQUIRE(reply->errors.size() == 1);
    CHECK(reply->errors[0].code == code);
    CHECK(reply->errors[0].description == description);
}

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("a forward-reliable message is stored and answered 202 with an Acknowledgment") {
        Fixture f;
        const test::Gp2gpSpec spec;
        const auto request = test::gp2gpRequest(spec);
        const auto action = f.service.forwardReliable().handle(request);
        REQUIRE(action.kind == MockAction::Kind::Reply);
        CHECK(action.reply.status == 202);
        CHECK(action.reply.contentType == "text/xml");

        const auto reply = spine::parseSpineReply(action.reply.contentType, action.reply.body);
        REQUIRE(reply.ok());
        CHECK((reply->kind == spine::ReplyKind::Acknowledgment));
        CHECK(reply->refToMessageId == spec.messageId);
        const auto header = ebxml::parseEnvelope(action.reply.body);
        REQUIRE(header.ok());
        CHECK(header->fromPartyId == test::kPartyKeyB); // From and To swapped
        CHECK(header->toPartyId == test::kPartyKeyA);
        CHECK(header->conversationId == spec.conversationId);
        CHECK(header->action == "Acknowledgment");

        const auto queue = f.queue();
        REQUIRE(queue.size() == 1);
        CHECK(queue[0].messageId == spec.messageId);
        CHECK(queue[0].interaction == "COPC_IN000001UK01");
        CHECK(queue[0].sender == "A83008");
        CHECK(queue[0].recipient == "B82001");
        CHECK(queue[0].state == "pending");
        CHECK(queue[0].attempts == 0);
        CHECK(queue[0].soapAction == "urn:nhs:names:services:gp2gp/COPC_IN000001UK01");
        CHECK(queue[0].contentType == request.header("Content-Type"));
        // COPC persists for PT7H.
        CHECK(queue[0].expiresAt - queue[0].acceptedAt == 7 * 3600 * 1000);
        CHECK(f.service.store().forwardBody(spec.messageId).value() == request.body);

        const auto journal = f.journal();
        REQUIRE(journal.size() == 1);
        CHECK(journal[0].outcome == "accepted");
        CHECK(journal[0].replyCode == "202");
        CHECK(journal[0].leg == "inbound");
        CHECK(journal[0].recipient == "B82001");
    }

    TEST_CASE("a replayed MessageId gets the original acknowledgement and is queued once") {
        Fixture f;
        const auto first = f.send();
        f.clock.advance(std::chrono::seconds(5));
        const auto again = f.send();
        CHECK(again.reply.status == 202);
        CHECK(again.reply.contentType == first.reply.contentType);
        CHECK(again.reply.body == first.reply.body);
        CHECK(f.queue().size() == 1);
        const auto journal = f.journal();
        REQUIRE(journal.size() == 2);
        CHECK(journal[1].outcome == "replayed");
        CHECK(journal[1].leg == "inbound");
        CHECK(journal[1].receivedAt == "2026-03-15T06:51:13.000Z");
    }

    TEST_CASE("two copies arriving together are accepted once") {
        Fixture f;
        const auto request = test::gp2gpRequest();
        MockAction other;
        std::thread thread([&] { other = f.service.forwardReliable().handle(request); });
        const auto mine = f.service.forwardReliable().handle(request);
        thread.join();
        CHECK(mine.reply.body == other.reply.body);
        CHECK(f.queue().size() == 1);
    }

    TEST_CASE("forward-reliable transport errors are answered with a MessageError") {
        Fixture f;
        test::Gp2gpSpec spec;
        SUBCASE("unknown To party") {
            spec.toPartyId = "C81001-7654321";
            checkMessageError(f.send(spec), "ValueNotRecognized",
                              "500:Unknown To party C81001-7654321");
        }
        SUBCASE("unknown From party") {
            spec.fromPartyId = "C81001-7654321";
            checkMessageError(f.send(spec), "ValueNotRecognized",
                              "500:Unknown From party C81001-7654321");
        }
        SUBCASE("CPA id of another interaction") {
            spec.cpaId = "S20001A000182";
            checkMessageError(f.send(spec), "ValueNotRecognized", "501319:Unknown eb:CPAId");
        }
        SUBCASE("an EPS interaction") {
            spec.service = "urn:nhs:names:services:mm";
            spec.action = "PORX_IN020101SM31";
            checkMessageError(
                f.send(spec), "ValueNotRecognized",
                "500:Unsupported interaction urn:nhs:names:services:mm/PORX_IN020101SM31");
        }
        SUBCASE("async reliable flags instead of forward reliable") {
            spec.ackRequested = ebxml::AckRequested::ToPartyMsh;
            checkMessageError(f.send(spec), "Inconsistent",
                              "500:forward reliable needs eb:DuplicateElimination, eb:AckRequested "
                              "with actor nextMSH and no eb:SyncReply");
        }
        SUBCASE("SOAPAction of another interaction") {
            auto request = test::gp2gpRequest(spec);
            request.headers[1].second = "urn:nhs:names:services:gp2gp/RCMR_IN010000UK05";
            checkMessageError(f.service.forwardReliable().handle(request), "Inconsistent",
                              "500:SOAPAction does not match eb:Service and eb:Action");
        }
        CHECK(f.queue().empty());
        const auto journal = f.journal();
        REQUIRE(journal.size() == 1);
        CHECK(journal[0].outcome == "rejected");
        CHECK(journal[0].leg == "inbound");
    }

    TEST_CASE("inbound faults apply to the forward-reliable endpoint") {
        Fixture f;
        f.service.faults().add(
            parseFaultRule(
                R"({"interaction":"COPC_IN000001UK01","fault":{"type":"http","status":503}})")
                .value());
        const auto faulted = f.send();
        CHECK(faulted.reply.status == 503);
        CHECK(f.queue().empty());
        CHECK(f.journal().back().outcome == "fault");
        CHECK(f.journal().back().messageId == test::Gp2gpSpec{}.messageId);
        CHECK(f.send().reply.status == 202);
    }

} // TEST_SUITE
