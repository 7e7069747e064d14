#include "MockTestSupport.hpp"
#include "PracticeStub.hpp"

#include <gp/mock/MockService.hpp>

#include <doctest/doctest.h>

#include <functional>
#include <optional>

using namespace gp::mock;
using std::chrono::seconds;

namespace {

// A mock whose practice B is the stub; A is registered so that it may send. The forwarder's
// thread is not started: each test drives runDue() with the manual clock, so nothing waits on
// real time except the stub's own socket I/O.
struct Fixture {
    explicit Fixture(const std::function<void(MockConfig&)>& adjust = {}) {
        auto config = test::testConfig(dir.path());
        if (adjust) {
            adjust(config);
        }
        service.emplace(config, clock, random, waiter);
        REQUIRE(service->store().upsertPractice(test::practiceA()).ok());
        REQUIRE(service->store().upsertPractice(test::practiceB(stub.url())).ok());
    }

    void accept(const test::Gp2gpSpec& spec = {}) {
        REQUIRE(service->forwardReliable().handle(test::gp2gpRequest(spec)).reply.status == 202);
    }
    void inject(const std::string& json) { service->faults().add(parseFaultRule(json).value()); }
    ForwardRecord forward(std::size_t index = 0) {
        return service->store().forwards(false).value().at(index);
    }
    std::vector<std::string> outcomes(const std::string& messageId = test::Gp2gpSpec{}.messageId) {
        std::vector<std::string> found;
        for (const auto& entry : service->store().journal(messageId).value()) {
            found.push_back(entry.outcome + ":" + entry.replyCode);
        }
        return found;
    }

    test::PracticeStub stub;
    test::TempDir dir;
    test::ManualClock clock;
    test::SeededRandom random;
    test::RecordingWaiter waiter;
    std::optional<MockService> service;
};

const std::string kMessageId = test::Gp2gpSpec{}.messageId;

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("the forwarder delivers the exact bytes, Content-Type and SOAPAction") {
        Fixture f;
        const auto request = test::gp2gpRequest();
        REQUIRE(f.service->forwardReliable().handle(request).reply.status == 202);
        CHECK(f.service->forwarder().runDue() == 1);

        const auto deliveries = f.stub.deliveries();
        REQUIRE(deliveries.size() == 1);
        CHECK(deliveries[0].body == request.body);
        CHECK(deliveries[0].contentType == request.header("Content-Type"));
        CHECK(deliveries[0].soapAction == request.header("SOAPAction"));
        CHECK(deliveries[0].messageId == kMessageId);

        const auto record = f.forward();
        CHECK(record.state == "forwarded");
        CHECK(record.attempts == 1);
        CHECK(record.deliveries == 1);
        CHECK(record.lastResult == "202");
        CHECK(f.service->store().forwardBody(kMessageId).value().empty()); // dropped once done
        CHECK(f.outcomes() == std::vector<std::string>{"accepted:202", "forwarded:202"});
        const auto journal = f.service->store().journal(kMessageId).value();
        CHECK(journal[1].leg == "forward");
        CHECK(journal[1].recipient == "B82001");

        CHECK(f.service->forwarder().runDue() == 0);
        CHECK_FALSE(f.service->forwarder().nextDue().has_value());
    }

    TEST_CASE("the forwarder thread wakes on acceptance and delivers without being driven") {
        Fixture f;
        f.service->forwarder().start();
        f.accept();
        REQUIRE(f.service->forwarder().waitForOutcomes(1, std::chrono::seconds(20)));
        CHECK(f.forward().state == "forwarded");
        CHECK(f.stub.deliveries().size() == 1);
    }

    TEST_CASE("a replay is not forwarded a second time") {
        Fixture f;
        f.accept();
        f.accept();
        CHECK(f.service->forwarder().runDue() == 1);
        f.accept();
        CHECK(f.service->forwarder().runDue() == 0);
        CHECK(f.stub.deliveries().size() == 1);
        CHECK(f.outcomes() == std::vector<std::string>{"accepted:202", "replayed:202",
                                                       "forwarded:202", "replayed:202"});
    }

    TEST_CASE("a 503 from the practice is retried after the forward retry delay") {
        Fixture f;
        f.stub.answerNext({503});
        f.accept();
        CHECK(f.service->forwarder().runDue() == 1);
        CHECK(f.forward().state == "pending");
        CHECK(f.forward().lastResult == "503");
        const auto due = f.service->forwarder().nextDue();
        REQUIRE(due.has_value());
        CHECK(*due == f.clock.now() + seconds(1));

        CHECK(f.service->forwarder().runDue() == 0); // not due yet
        f.clock.advance(seconds(1));
        CHECK(f.service->forwarder().runDue() == 1);
        CHECK(f.forward().state == "forwarded");
        CHECK(f.forward().attempts == 2);
        CHECK(f.stub.messageIds() == std::vector<std::string>{kMessageId, kMessageId});
        CHECK(f.outcomes() ==
              std::vector<std::string>{"accepted:202", "forward-retry:503", "forwarded:202"});
    }

    TEST_CASE("retry delays double up to mock.forwardMaxDelay") {
        Fixture f([](MockConfig& config) {
            config.forwardRetryDelay = {"PT1S", seconds(1)};
            config.forwardMaxDelay = {"PT3S", seconds(3)};
        });
        f.stub.answerAlways(503);
        f.accept();
        std::vector<long long> delays;
        for (int i = 0; i < 4; ++i) {
            REQUIRE(f.service->forwarder().runDue() == 1);
            const auto wait = *f.service->forwarder().nextDue() - f.clock.now();
            delays.push_back(std::chrono::duration_cast<seconds>(wait).count());
            f.clock.advance(std::chrono::duration_cast<std::chrono::milliseconds>(wait));
        }
        CHECK(delays == std::vector<long long>{1, 2, 3, 3});
    }

    TEST_CASE("a lostReply fault delivers, then delivers the same MessageId again") {
        Fixture f;
        f.inject(
            R"({"interaction":"COPC_IN000001UK01","leg":"forward","fault":{"type":"lostReply"}})");
        f.accept();
        CHECK(f.service->forwarder().runDue() == 1);
        CHECK(f.stub.deliveries().size() == 1);
        CHECK(f.forward().state == "pending");
        f.clock.advance(seconds(1));
        CHECK(f.service->forwarder().runDue() == 1);
        CHECK(f.stub.messageIds() == std::vector<std::string>{kMessageId, kMessageId});
        CHECK(f.forward().state == "forwarded");
        CHECK(f.forward().deliveries == 2);
        CHECK(f.outcomes() ==
              std::vector<std::string>{"accepted:202", "forward-fault:lostReply", "forwarded:202"});
    }

    TEST_CASE("a duplicate fault delivers twice in a row") {
        Fixture f;
        f.inject(R"({"interaction":"*","leg":"forward","fault":{"type":"duplicate"}})");
        f.accept();
        CHECK(f.service->forwarder().runDue() == 1);
        CHECK(f.stub.messageIds() == std::vector<std::string>{kMessageId, kMessageId});
        CHECK(f.forward().state == "forwarded");
        CHECK(f.outcomes() ==
              std::vector<std::string>{"accepted:202", "forward-fault:duplicate", "forwarded:202"});
    }

    TEST_CASE("http and reset faults on the forward leg are not delivered and are retried") {
        Fixture f;
        f.inject(R"({"interaction":"*","leg":"forward","fault":{"type":"http","status":503}})");
        f.inject(R"({"interaction":"*","leg":"forward","fault":{"type":"reset"}})");
        f.accept();
        CHECK(f.service->forwarder().runDue() == 1);
        f.clock.advance(seconds(1));
        CHECK(f.service->forwarder().runDue() == 1);
        CHECK(f.stub.deliveries().empty());
        f.clock.advance(seconds(2));
        CHECK(f.service->forwarder().runDue() == 1);
        CHECK(f.stub.deliveries().size() == 1);
        CHECK(f.outcomes() == std::vector<std::string>{"accepted:202", "forward-fault:http",
                                                       "forward-fault:reset", "forwarded:202"});
        CHECK(f.forward().attempts == 3);
    }

    TEST_CASE("a permanent 4xx from the practice ends delivery as forward-failed") {
        Fixture f;
        f.stub.answerNext({400});
        f.accept();
        CHECK(f.service->forwarder().runDue() == 1);
        CHECK(f.forward().state == "failed");
        CHECK(f.outcomes() == std::vector<std::string>{"accepted:202", "forward-failed:400"});
        f.clock.advance(seconds(60));
        CHECK(f.service->forwarder().runDue() == 0);
        CHECK(f.stub.deliveries().size() == 1);
    }

    TEST_CASE("a message past its persist duration expires and is not sent again") {
        Fixture f([](MockConfig& config) {
            config.gp2gpPersistDurations["COPC_IN000001UK01"] = {"PT10S", seconds(10)};
            config.forwardRetryDelay = {"PT4S", seconds(4)};
            config.forwardMaxDelay = {"PT4S", seconds(4)};
        });
        f.stub.answerAlways(503);
        f.accept();
        CHECK(f.service->forwarder().runDue() == 1); // t=0
        f.clock.advance(seconds(4));
        CHECK(f.service->forwarder().runDue() == 1); // t=4
        f.clock.advance(seconds(4));
        CHECK(f.service->forwarder().runDue() == 1); // t=8; next due is capped at the expiry
        CHECK(*f.service->forwarder().nextDue() == f.clock.now() + seconds(2));
        f.clock.advance(seconds(2));
        CHECK(f.service->forwarder().runDue() == 0);
        CHECK(f.forward().state == "expired");
        CHECK(f.stub.deliveries().size() == 3);
        CHECK(f.outcomes().back() == "forward-expired:503");
        CHECK_FALSE(f.service->forwarder().nextDue().has_value());
    }

    TEST_CASE("later messages of a conversation wait for earlier ones") {
        Fixture f;
        test::Gp2gpSpec first;
        test::Gp2gpSpec second;
        second.messageId = "6A1E4D3C-2B3C-4D4E-9F50-6B7C8D9EA0B1";
        test::Gp2gpSpec otherConversation;
        otherConversation.messageId = "7B2F5E4D-3C4D-4E5F-A061-7C8D9EAFB1C2";
        otherConversation.conversationId = "1C2D3E4F-5061-4728-93A4-B5C6D7E8F90A";
        f.stub.answerNext({503});
        f.accept(first);
        f.accept(second);
        f.accept(otherConversation);
        CHECK(f.service->forwarder().runDue() == 2); // first (503) and the other conversation
        CHECK(f.stub.messageIds() ==
              std::vector<std::string>{first.messageId, otherConversation.messageId});
        f.clock.advance(seconds(1));
        CHECK(f.service->forwarder().runDue() == 2);
        CHECK(f.stub.messageIds() == std::vector<std::string>{first.messageId,
                                                              otherConversation.messageId,
                                                              first.messageId, second.messageId});
    }

    TEST_CASE("the forward queue is resumed after the mock restarts") {
        Fixture f;
        f.accept();
        f.service.reset(); // stopped before any delivery
        f.service.emplace(test::testConfig(f.dir.path()), f.clock, f.random, f.waiter);
        CHECK(f.service->forwarder().runDue() == 1);
        CHECK(f.stub.messageIds() == std::vector<std::string>{kMessageId});
        CHECK(f.forward().state == "forwarded");
        // The replay check survives too.
        f.accept();
        CHECK(f.service->forwarder().runDue() == 0);
    }

    TEST_CASE("a practice that is unreachable is retried as a connection failure") {
        Fixture f;
        REQUIRE(
            f.service->store().upsertPractice(test::practiceB("http://127.0.0.1:1/inbound")).ok());
        f.accept();
        CHECK(f.service->forwarder().runDue() == 1);
        CHECK(f.forward().state == "pending");
        CHECK(f.forward().deliveries == 0);
        CHECK(f.outcomes().back() == "forward-retry:connect");
        // Re-registered on a new port (an agent restarted), the next attempt goes there.
        REQUIRE(f.service->store().upsertPractice(test::practiceB(f.stub.url())).ok());
        f.clock.advance(seconds(1));
        CHECK(f.service->forwarder().runDue() == 1);
        CHECK(f.forward().state == "forwarded");
    }

} // TEST_SUITE
