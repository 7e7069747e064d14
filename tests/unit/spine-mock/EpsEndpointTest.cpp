#include "MockTestSupport.hpp"

#include <gp/messaging/ids/Identifiers.hpp>
#include <gp/messaging/spine/SpineReply.hpp>
#include <gp/mock/MockService.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <thread>

using namespace gp::mock;
namespace spine = gp::messaging::spine;
namespace hl7 = gp::messaging::hl7;

namespace {

struct Fixture {
    // Members are built in order, so the directory exists before the config naming it.
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

    MockAction send(const test::RequestSpec& spec = {}) {
        return service.eps().handle(test::eprRequest(spec));
    }
    std::vector<JournalEntry> journal() { return service.store().journal().value(); }

    test::TempDir dir;
    test::ManualClock clock;
    test::SeededRandom random;
    test::RecordingWaiter waiter;
    MockService service;
};

spine::SpineReply parse(const MockReply& reply) {
    auto parsed = spine::parseSpineReply(reply.contentType, reply.body);
    REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error().describe()));
    return std::move(parsed).value();
}

void checkMessageError(const MockAction& action, const std::string& code,
                       const std::string& description, const std::string& refToMessageId) {
    REQUIRE(action.kind == MockAction::Kind::Reply);
    CHECK(action.reply.status == 500);
    CHECK(action.reply.contentType == "text/xml");
    const auto reply = parse(action.reply);
    CHECK((reply.kind == spine::ReplyKind::MessageError));
    REQUIRE(reply.errors.size() == 1);
    CHECK(reply.errors[0].code == code);
    CHECK(reply.errors[0].description == description);
    CHECK(reply.refToMessageId == refToMessageId);
}

const std::string kSecondMessageId = "9A8B7C6D-5E4F-4A3B-8C2D-1E0F9A8B7C6D";

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("a valid ParentPrescription is accepted with an Acknowledgment and an AA") {
        Fixture f;
        const test::RequestSpec spec;
        const auto action = f.send(spec);
        REQUIRE(action.kind == MockAction::Kind::Reply);
        CHECK(action.reply.status == 200);
        CHECK(action.reply.contentType.rfind("multipart/related", 0) == 0);

        const auto reply = parse(action.reply);
        CHECK((reply.kind == spine::ReplyKind::ApplicationAck));
        CHECK(reply.transportAcknowledged);
        CHECK(reply.refToMessageId == spec.messageId);
        REQUIRE(reply.applicationAck.has_value());
        CHECK((reply.applicationAck->typeCode == hl7::AckTypeCode::AA));
        CHECK(reply.applicationAck->messageRef == spec.messageId);

        const auto journal = f.journal();
        REQUIRE(journal.size() == 1);
        CHECK(journal[0].messageId == spec.messageId);
        CHECK(journal[0].interaction == "PORX_IN020101SM31");
        CHECK(journal[0].outcome == "processed");
        CHECK(journal[0].replyCode == "AA");
        CHECK(journal[0].receivedAt == "2026-03-15T06:51:08.000Z");
        CHECK(f.service.store().prescriptionAcceptedBy(spec.prescriptionId)->value() ==
              spec.messageId);
    }

    TEST_CASE("the same prescription id under a new MessageId is refused with 0002") {
        Fixture f;
        REQUIRE(f.send().reply.status == 200);
        test::RequestSpec second;
        second.messageId = kSecondMessageId;
        const auto action = f.send(second);
        CHECK(action.reply.status == 200);
        const auto reply = parse(action.reply);
        REQUIRE(reply.applicationAck.has_value());
        CHECK((reply.applicationAck->typeCode == hl7::AckTypeCode::AE));
        REQUIRE(reply.applicationAck->details.size() == 1);
        CHECK(reply.applicationAck->details[0].code == "0002");
        CHECK(f.journal().back().replyCode == "0002");
        CHECK(f.journal().back().outcome == "processed");
    }

    TEST_CASE("a bad check character is refused with 5009 and the id is not stored") {
        Fixture f;
        test::RequestSpec spec;
        spec.prescriptionId = "24F5DA-A83008-7EFE6Y";
        const auto reply = parse(f.send(spec).reply);
        REQUIRE(reply.applicationAck.has_value());
        CHECK((reply.applicationAck->typeCode == hl7::AckTypeCode::AE));
        CHECK(reply.applicationAck->details.at(0).code == "5009");
        CHECK_FALSE(f.service.store().prescriptionAcceptedBy(spec.prescriptionId)->has_value());
    }

    TEST_CASE("an invalid NHS number is refused with 5000") {
        Fixture f;
        test::RequestSpec spec;
        spec.nhsNumber = "9434765918";
        const auto reply = parse(f.send(spec).reply);
        REQUIRE(reply.applicationAck.has_value());
        CHECK(reply.applicationAck->details.at(0).code == "5000");
        CHECK(reply.applicationAck->details.at(0).displayName.find("nhsNumber is not valid") !=
              std::string::npos);
    }

    TEST_CASE("too many line items are refused with 5000") {
        Fixture f;
        test::RequestSpec spec;
        spec.items = 5;
        const auto reply = parse(f.send(spec).reply);
        REQUIRE(reply.applicationAck.has_value());
        CHECK(reply.applicationAck->details.at(0).code == "5000");
    }

    TEST_CASE("a replayed MessageId gets the original reply bytes and is not processed again") {
        Fixture f;
        const auto first = f.send();
        f.clock.advance(std::chrono::seconds(30));
        const auto again = f.send();
        REQUIRE(again.kind == MockAction::Kind::Reply);
        CHECK(again.reply.status == first.reply.status);
        CHECK(again.reply.contentType == first.reply.contentType);
        CHECK(again.reply.body == first.reply.body);

        const auto journal = f.journal();
        REQUIRE(journal.size() == 2);
        CHECK(journal[1].outcome == "replayed");
        CHECK(journal[1].replyCode == "AA"); // not 0002: the replay was not run through the rules
        CHECK(journal[1].receivedAt == "2026-03-15T06:51:38.000Z");
    }

    TEST_CASE("two copies of a message arriving together are processed once") {
        Fixture f;
        const auto request = test::eprRequest();
        MockAction first;
        MockAction second;
        std::thread other([&] { second = f.service.eps().handle(request); });
        first = f.service.eps().handle(request);
        other.join();
        CHECK(first.reply.body == second.reply.body);
        const auto journal = f.journal();
        REQUIRE(journal.size() == 2);
        const int processed = static_cast<int>(
            std::count_if(journal.begin(), journal.end(),
                          [](const JournalEntry& entry) { return entry.outcome == "processed"; }));
        CHECK(processed == 1);
    }

    TEST_CASE("prescriptions arriving together are each processed once and all journaled") {
        // Their commits are shared (group commit); each still gets its own AA and journal line,
        // and the second copy of each its replay.
        Fixture f;
        constexpr int kMessages = 6;
        test::SeededRandom ids(7);
        std::vector<test::RequestSpec> specs(kMessages);
        for (auto& spec : specs) {
            spec.messageId = gp::messaging::ids::newUuid(ids);
            spec.prescriptionId = gp::messaging::ids::newPrescriptionId("A83008", ids);
        }
        std::vector<MockAction> replies(2 * kMessages);
        std::vector<std::thread> senders;
        for (std::size_t i = 0; i < replies.size(); ++i) {
            senders.emplace_back([&, i] { replies[i] = f.send(specs[i % kMessages]); });
        }
        for (auto& sender : senders) {
            sender.join();
        }
        for (std::size_t i = 0; i < specs.size(); ++i) {
            const auto reply = parse(replies[i].reply);
            REQUIRE(reply.applicationAck.has_value());
            CHECK((reply.applicationAck->typeCode == hl7::AckTypeCode::AA));
            CHECK(replies[i + kMessages].reply.body == replies[i].reply.body);
        }
        const auto journal = f.journal();
        CHECK(journal.size() == 2 * kMessages);
        for (const auto& spec : specs) {
            const auto count = [&](const std::string& outcome) {
                return std::count_if(journal.begin(), journal.end(), [&](const JournalEntry& e) {
                    return e.messageId == spec.messageId && e.outcome == outcome;
                });
            };
            CHECK(count("processed") == 1);
            CHECK(count("replayed") == 1);
        }
    }

    TEST_CASE("a replay survives a restart of the mock") {
        test::TempDir dir;
        test::ManualClock clock;
        test::SeededRandom random;
        test::RecordingWaiter waiter;
        MockAction first;
        {
            MockService service(test::testConfig(dir.path()), clock, random, waiter);
            first = service.eps().handle(test::eprRequest());
        }
        MockService restarted(test::testConfig(dir.path()), clock, random, waiter);
        const auto again = restarted.eps().handle(test::eprRequest());
        CHECK(again.reply.body == first.reply.body);
        test::RequestSpec other;
        other.messageId = kSecondMessageId;
        const auto duplicate = parse(restarted.eps().handle(test::eprRequest(other)).reply);
        CHECK(duplicate.applicationAck->details.at(0).code == "0002");
    }

    TEST_CASE("transport-level errors are answered with an ebXML MessageError") {
        Fixture f;
        test::RequestSpec spec;
        SUBCASE("unknown CPAId") {
            spec.cpaId = "S99999A999999";
            checkMessageError(f.send(spec), "ValueNotRecognized", "501319:Unknown eb:CPAId",
                              spec.messageId);
        }
        SUBCASE("SOAPAction not matching Service and Action") {
            spec.soapAction = "urn:nhs:names:services:mm/PORX_IN030101SM32";
            checkMessageError(f.send(spec), "Inconsistent",
                              "500:SOAPAction does not match eb:Service and eb:Action",
                              spec.messageId);
        }
        SUBCASE("To party that is not Spine") {
            spec.toPartyId = "B82001-1234567";
            checkMessageError(f.send(spec), "ValueNotRecognized", "500:Unknown eb:To/eb:PartyId",
                              spec.messageId);
        }
        SUBCASE("malformed MessageId") {
            spec.messageId = "3c5b1e2a-8f4d-4e6b-9a1c-2d3e4f5a6b7c";
            checkMessageError(f.send(spec), "ValueNotRecognized",
                              "500:Missing or malformed eb:MessageId", "");
        }
        SUBCASE("unsupported interaction") {
            // A dispenser's release request: not something a prescriber's system may send.
            spec.action = "PORX_IN060102SM30";
            checkMessageError(
                f.send(spec), "ValueNotRecognized",
                "500:Unsupported interaction urn:nhs:names:services:mm/PORX_IN060102SM30",
                spec.messageId);
        }
        const auto journal = f.journal();
        REQUIRE(journal.size() == 1);
        CHECK(journal[0].outcome == "rejected");
        // A rejected message is not stored as processed: a corrected resend is not a replay.
        CHECK_FALSE(f.service.store().findReply(spec.messageId)->has_value());
    }

    TEST_CASE("a sender outside mock.knownSenders is refused") {
        Fixture f([](MockConfig& config) { config.knownSenders = {"B82001-1234567"}; });
        checkMessageError(f.send(), "ValueNotRecognized", "500:Unknown eb:From/eb:PartyId",
                          test::RequestSpec{}.messageId);
    }

    TEST_CASE("a body that is not MIME multipart is refused with MimeProblem") {
        Fixture f;
        MockRequest request = test::eprRequest();
        request.headers[0].second = "multipart/related; type=text/xml"; // no boundary
        const auto action = f.service.eps().handle(request);
        REQUIRE(action.kind == MockAction::Kind::Reply);
        CHECK(action.reply.status == 500);
        CHECK(parse(action.reply).errors.at(0).code == "MimeProblem");
        CHECK(f.journal().at(0).replyCode == "MimeProblem");
    }

} // TEST_SUITE
