// An attempt cut short (the agent killed mid-send, or a worker's lease running out) of a message
// that is not safe to send twice, such as an e-RS create: the store must end it "outcome-unknown"
// so that its workflow looks up what happened, never hand it out again. Found by the crash
// campaign (tests/chaos), where a create interrupted twice had made three referrals.

#include "StoreTestSupport.hpp"

#include <doctest/doctest.h>

using namespace gp;
using namespace gp::test;
using namespace std::chrono_literals;

namespace {

agent::OutboundMessage ersCreate(const std::string& messageId, agent::TimePoint now) {
    agent::OutboundMessage message = makeMessage(messageId, now);
    message.kind = "fhir";
    message.service = "e-RS";
    message.interaction = "A011";
    message.idempotent = false;
    return message;
}

std::string lastErrorCode(agent::Store& store, const std::string& messageId) {
    const auto record = store.findMessage(messageId);
    return record && record->lastError ? record->lastError->code : "";
}

} // namespace

TEST_SUITE("agent") {

    // This and the restart case below are not in the store contract: they rest on
    // releaseAllLeases, which a shared PostgreSQL store leaves to lapsing leases.
    TEST_CASE("interrupted attempts: at start-up a non-idempotent message left sending is failed, "
              "an idempotent one is released") {
        OpenStore f;
        REQUIRE(f.store->enqueue(ersCreate("create-1", f.clock.now()), apiEvent("create-1")));
        REQUIRE(f.store->enqueue(makeMessage("eps-1", f.clock.now()), apiEvent("eps-1")));
        REQUIRE(f.store->claimDue("worker-1", 60s, 10)->size() == 2);

        // The process died mid-send; the next one starts.
        auto released = f.store->releaseAllLeases();
        REQUIRE(released);
        CHECK(*released == 2);

        CHECK(stateName(f.store->findMessage("create-1")->state) == "failed");
        CHECK(lastErrorCode(*f.store, "create-1") == "outcome-unknown");
        CHECK(f.store->auditForMessage("create-1").back().detail ==
              "code outcome-unknown; attempt 1 was interrupted (the agent stopped during it)");
        CHECK(stateName(f.store->findMessage("eps-1")->state) == "retry-wait");

        auto again = f.store->claimDue("worker-2", 60s, 10);
        REQUIRE(again->size() == 1);
        CHECK(again->front().record.messageId == "eps-1");
    }

    TEST_CASE("interrupted attempts: a lapsed lease of a non-idempotent message fails it instead "
              "of handing it to another worker" *
              doctest::test_suite("store-contract")) {
        OpenStore f;
        REQUIRE(f.store->enqueue(ersCreate("create-1", f.clock.now()), apiEvent("create-1")));
        REQUIRE(f.store->enqueue(makeMessage("eps-1", f.clock.now()), apiEvent("eps-1")));
        REQUIRE(f.store->claimDue("worker-a", 60s, 10)->size() == 2);

        f.clock.advance(60s);
        auto taken = f.store->claimDue("worker-b", 60s, 10);
        REQUIRE(taken);
        REQUIRE(taken->size() == 1);
        CHECK(taken->front().record.messageId == "eps-1");
        CHECK(stateName(f.store->findMessage("create-1")->state) == "failed");
        CHECK(lastErrorCode(*f.store, "create-1") == "outcome-unknown");
        CHECK(f.store->auditForMessage("create-1").back().detail ==
              "code outcome-unknown; attempt 1 was interrupted (the lease of worker-a ran out)");
        // The first worker's late answer changes nothing.
        CHECK_FALSE(f.store->recordAcked("create-1", "worker-a", "late"));
    }

    TEST_CASE("interrupted attempts: an attempt cut short by a restart is not counted against "
              "maxAttempts") {
        // Found by the crash campaign: a GP2GP document with the route's 3 attempts failed after
        // one refused connect and two restarts of its own agent, and the transfer with it.
        OpenStore f;
        REQUIRE(f.store->enqueue(makeMessage("copc-1", f.clock.now(), 1h, 3), apiEvent("copc-1")));
        for (int restart = 0; restart < 3; ++restart) {
            REQUIRE(f.store->claimDue("worker", 60s, 10)->size() == 1);
            REQUIRE(f.store->releaseAllLeases());
        }
        CHECK(f.store->auditForMessage("copc-1").back().detail ==
              "attempt 3 by worker was interrupted; not counted against the limit");
        auto claimed = f.store->claimDue("worker", 60s, 10);
        REQUIRE(claimed->size() == 1);
        CHECK(claimed->front().record.attempts == 4);
        CHECK(f.store->recordRetry("copc-1", "worker", f.clock.now(), {"http-503", "busy"}, false));
        // Spine's own failures still count: three real ones end it.
        for (int attempt = 0; attempt < 2; ++attempt) {
            REQUIRE(f.store->claimDue("worker", 60s, 10)->size() == 1);
            CHECK(f.store->recordRetry("copc-1", "worker", f.clock.now(), {"http-503", "busy"},
                                       false));
        }
        CHECK(f.store->claimDue("worker", 60s, 10)->empty());
        CHECK(stateName(f.store->findMessage("copc-1")->state) == "failed");
        CHECK(lastErrorCode(*f.store, "copc-1") == "retries-exhausted");
    }

} // TEST_SUITE
