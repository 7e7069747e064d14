#include "StoreTestSupport.hpp"

#include <gp/agent/Files.hpp>
#include <gp/agent/store/Store.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>

using namespace gp;
using namespace gp::agent;
using namespace std::chrono_literals;

namespace {

struct BodyFileFixture : test::OpenStore {
    /// A message whose body is in a file, claimed by "worker-1".
    std::filesystem::path enqueueAndClaim(const std::string& messageId,
                                          Milliseconds persistFor = 1h) {
        OutboundMessage message = test::makeMessage(messageId, clock.now(), persistFor);
        message.body.clear();
        message.bodyFile = dir.file(messageId + ".body");
        message.retryInterval = 90s;
        writeFileAtomically(message.bodyFile, "large body");
        REQUIRE(store->enqueue(message, test::apiEvent(messageId)).ok());
        const auto claimed = store->claimDue("worker-1", 30s, 10);
        REQUIRE(claimed.ok());
        REQUIRE(claimed->size() == 1);
        CHECK(claimed->front().bodyFile == message.bodyFile);
        CHECK(claimed->front().retryInterval == Milliseconds(90000));
        CHECK(claimed->front().body.empty());
        return message.bodyFile;
    }
};

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("a body file goes once its message is acknowledged" *
              doctest::test_suite("store-contract")) {
        BodyFileFixture f;
        const auto file = f.enqueueAndClaim("MSG-1");
        REQUIRE(f.store->recordAcked("MSG-1", "worker-1", "ack").ok());
        CHECK_FALSE(std::filesystem::exists(file));
    }

    TEST_CASE("a body file goes when its message fails or expires, not when it waits to retry" *
              doctest::test_suite("store-contract")) {
        BodyFileFixture f;
        const auto failed = f.enqueueAndClaim("MSG-F");
        REQUIRE(f.store->recordFailed("MSG-F", "worker-1", {"0002", "duplicate"}).ok());
        CHECK_FALSE(std::filesystem::exists(failed));

        const auto waiting = f.enqueueAndClaim("MSG-W", 10min);
        REQUIRE(f.store
                    ->recordRetry("MSG-W", "worker-1", f.clock.now() + 1min,
                                  {"http-503", "unavailable"}, true)
                    .ok());
        CHECK(std::filesystem::exists(waiting));
        // Expired on the way by the next claim: final, so its file goes too.
        f.clock.advance(11min);
        REQUIRE(f.store->claimDue("worker-1", 30s, 10).ok());
        CHECK(test::stateName(f.store->findMessage("MSG-W")->state) == "expired");
        CHECK_FALSE(std::filesystem::exists(waiting));
    }

    TEST_CASE("a body file stays when the final state is not committed" *
              doctest::test_suite("store-contract")) {
        BodyFileFixture f;
        const auto file = f.enqueueAndClaim("MSG-1");
        const Status lost = f.store->recordAcked("MSG-1", "someone-else", "ack");
        REQUIRE_FALSE(lost.ok());
        CHECK(std::filesystem::exists(file));
        REQUIRE(f.store->recordExpired("MSG-1", "worker-1", "persist duration exceeded").ok());
        CHECK_FALSE(std::filesystem::exists(file));
    }

    TEST_CASE("a body file already gone does not fail the acknowledgement" *
              doctest::test_suite("store-contract")) {
        BodyFileFixture f;
        const auto file = f.enqueueAndClaim("MSG-1");
        std::filesystem::remove(file);
        CHECK(f.store->recordAcked("MSG-1", "worker-1", "ack").ok());
        CHECK(test::stateName(f.store->findMessage("MSG-1")->state) == "acked");
    }

} // TEST_SUITE
