#include "MockTestSupport.hpp"

#include <gp/messaging/spine/SpineReply.hpp>
#include <gp/mock/MockService.hpp>

#include <doctest/doctest.h>

using namespace gp::mock;
namespace spine = gp::messaging::spine;

namespace {

struct Fixture {
    Fixture() : service(test::testConfig(dir.path()), clock, random, waiter) {}

    void inject(const std::string& json) {
        auto rule = parseFaultRule(json);
        REQUIRE(rule.ok());
        service.faults().add(std::move(*rule));
    }
    MockAction send(const test::RequestSpec& spec = {}) {
        return service.eps().handle(test::eprRequest(spec));
    }
    JournalEntry lastJournal() { return service.store().journal().value().back(); }

    test::TempDir dir;
    test::ManualClock clock;
    test::SeededRandom random;
    test::RecordingWaiter waiter;
    MockService service;
};

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE(
        "an http fault answers its status with Retry-After and the message is not processed") {
        Fixture f;
        f.inject(
            R"({"interaction":"PORX_IN020101SM31","times":1,"fault":{"type":"http","status":503,"retryAfter":1}})");
        const auto faulted = f.send();
        REQUIRE(faulted.kind == MockAction::Kind::Reply);
        CHECK(faulted.reply.status == 503);
        CHECK(faulted.reply.headers == HeaderList{{"Retry-After", "1"}});
        const auto entry = f.lastJournal();
        CHECK(entry.outcome == "fault");
        CHECK(entry.replyCode == "503");
        CHECK(entry.messageId == test::RequestSpec{}.messageId);

        // The retry with the same MessageId is processed, not replayed: the fault stored nothing.
        const auto retried = f.send();
        CHECK(retried.reply.status == 200);
        CHECK(f.lastJournal().outcome == "processed");
    }

    TEST_CASE("a soapFault fault answers a SOAP fault with its codes") {
        Fixture f;
        f.inject(R"({"interaction":"*","fault":{"type":"soapFault","codes":["200","206"]}})");
        const auto action = f.send();
        CHECK(action.reply.status == 500);
        CHECK(action.reply.contentType == "text/xml");
        const auto reply = spine::parseSpineReply(action.reply.contentType, action.reply.body);
        REQUIRE(reply.ok());
        CHECK((reply->kind == spine::ReplyKind::SoapFault));
        REQUIRE(reply->errors.size() == 2);
        CHECK(reply->errors[0].code == "200");
        CHECK(reply->errors[1].code == "206");
        CHECK(reply->retriableFault());
        CHECK(f.lastJournal().replyCode == "200,206");
    }

    TEST_CASE("a messageError fault answers an ebXML MessageError") {
        Fixture f;
        f.inject(
            R"({"interaction":"*","fault":{"type":"messageError","errorCode":"DeliveryFailure","description":"500:injected"}})");
        const auto action = f.send();
        CHECK(action.reply.status == 500);
        const auto reply = spine::parseSpineReply(action.reply.contentType, action.reply.body);
        REQUIRE(reply.ok());
        CHECK((reply->kind == spine::ReplyKind::MessageError));
        CHECK(reply->errors.at(0).code == "DeliveryFailure");
        CHECK(reply->refToMessageId == test::RequestSpec{}.messageId);
    }

    TEST_CASE("reset and hang faults drop the connection without a reply") {
        Fixture f;
        f.inject(R"({"interaction":"*","fault":{"type":"reset"}})");
        f.inject(R"({"interaction":"*","fault":{"type":"hang","seconds":5}})");
        CHECK(f.send().kind == MockAction::Kind::Reset);
        CHECK(f.lastJournal().replyCode == "reset");
        CHECK(f.send().kind == MockAction::Kind::Close);
        CHECK(f.lastJournal().replyCode == "hang");
        CHECK(f.waiter.waits == std::vector<std::chrono::milliseconds>{std::chrono::seconds(5)});
        CHECK(f.send().reply.status == 200);
    }

    TEST_CASE("a delay fault waits and then processes the message") {
        Fixture f;
        f.inject(R"({"interaction":"PORX_IN020101SM31","fault":{"type":"delay","ms":250}})");
        const auto action = f.send();
        CHECK(f.waiter.waits ==
              std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(250)});
        CHECK(action.reply.status == 200);
        CHECK(f.lastJournal().outcome == "processed");
    }

    TEST_CASE("a fault for another interaction leaves the request alone") {
        Fixture f;
        f.inject(R"({"interaction":"PORX_IN030101SM32","fault":{"type":"reset"}})");
        CHECK(f.send().reply.status == 200);
        CHECK(f.service.faults().list().size() == 1);
    }

} // TEST_SUITE
