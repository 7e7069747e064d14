#include "StoreTestSupport.hpp"

#include <gp/agent/store/Store.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace gp;
using namespace gp::agent;
using namespace std::chrono_literals;

TEST_SUITE("agent") {

    TEST_CASE("concurrent enqueues and claims deliver every message exactly once" *
              doctest::test_suite("store-contract")) {
        constexpr int kProducers = 4;
        constexpr int kPerProducer = 200;
        constexpr int kTotal = kProducers * kPerProducer;

        test::OpenStore open;
        test::ManualClock& clock = open.clock;
        std::unique_ptr<Store>& store = open.store;

        std::atomic<int> enqueueFailures{0};
        std::atomic<int> ackFailures{0};
        std::atomic<int> acked{0};
        std::mutex seenMutex;
        std::set<std::string> seen;
        int duplicates = 0;

        std::vector<std::thread> threads;
        for (int producer = 0; producer < kProducers; ++producer) {
            threads.emplace_back([&, producer] {
                test::SeededRandom random(static_cast<std::uint64_t>(producer) + 1);
                for (int i = 0; i < kPerProducer; ++i) {
                    const std::string id = messaging::ids::newUuid(random);
                    if (!store->enqueue(test::makeMessage(id, clock.now()), test::apiEvent(id))) {
                        ++enqueueFailures;
                    }
                }
            });
        }
        for (int consumer = 0; consumer < 2; ++consumer) {
            threads.emplace_back([&, consumer] {
                const std::string owner = "worker-" + std::to_string(consumer);
                // Bounded so that a bug ends the test instead of hanging it.
                for (int round = 0; round < 100000 && acked.load() < kTotal; ++round) {
                    auto claimed = store->claimDue(owner, 10min, 8);
                    if (!claimed) {
                        ++ackFailures;
                        continue;
                    }
                    for (const ClaimedMessage& message : *claimed) {
                        {
                            std::lock_guard lock(seenMutex);
                            if (!seen.insert(message.record.messageId).second) {
                                ++duplicates;
                            }
                        }
                        if (store->recordAcked(message.record.messageId, owner, "ack")) {
                            ++acked;
                        } else {
                            ++ackFailures;
                        }
                    }
                    if (claimed->empty()) {
                        std::this_thread::yield();
                    }
                }
            });
        }
        for (std::thread& thread : threads) {
            thread.join();
        }

        CHECK(enqueueFailures.load() == 0);
        CHECK(ackFailures.load() == 0);
        CHECK(duplicates == 0);
        CHECK(acked.load() == kTotal);
        CHECK(seen.size() == static_cast<std::size_t>(kTotal));
        const StatusSummary summary = store->status();
        CHECK(summary.counts.at(MessageState::Acked) == kTotal);
        CHECK(summary.counts.at(MessageState::Queued) == 0);
        const AuditVerification verification = store->verifyAudit();
        CHECK(verification.intact);
        CHECK(verification.rowsChecked == 3 * kTotal);
    }

} // TEST_SUITE
