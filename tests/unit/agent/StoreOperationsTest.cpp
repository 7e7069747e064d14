#include "StoreTestSupport.hpp"

#include <gp/agent/store/Store.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

// Staff actions on the outbox (SqliteOperations.cpp): listing by state, retry, acknowledge,
// pause and resume, and the status fields they feed.

using namespace gp;
using namespace gp::agent;
using namespace std::chrono_literals;
using gp::test::makeMessage;

namespace {

constexpr std::string_view kOwner = "dispatcher-1";

struct Fixture : test::OpenStore {
    std::string newId() { return messaging::ids::newUuid(random); }

    std::string enqueueOne(Milliseconds persistFor = 1h, int maxAttempts = 0) {
        const std::string id = newId();
        REQUIRE(store->enqueue(makeMessage(id, clock.now(), persistFor, maxAttempts),
                               test::apiEvent(id)));
        return id;
    }

    /// Enqueued, claimed and failed permanently with Spine's 0002.
    std::string failOne(Milliseconds persistFor = 1h) {
        const std::string id = enqueueOne(persistFor);
        auto claimed = store->claimDue(kOwner, 60s, 10);
        REQUIRE(claimed);
        REQUIRE(store->recordFailed(id, kOwner, {"0002", "Duplicate prescription ID"}));
        return id;
    }

    std::string stateOf(const std::string& id) {
        const auto record = store->findMessage(id);
        REQUIRE(record.has_value());
        return test::stateName(record->state);
    }

    std::vector<AuditRow> rowsOf(const std::string& id, const std::string& event) {
        std::vector<AuditRow> rows;
        for (const AuditRow& row : store->auditForMessage(id)) {
            if (row.event == event) {
                rows.push_back(row);
            }
        }
        return rows;
    }

    AuditEvent staff(const std::string& id = "") { return {"api:desk", "", id, ""}; }
};

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("a message keeps its practice, and lists and counts can be limited to practices" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto enqueueFor = [&f](const std::string& practice) {
            const std::string id = f.newId();
            auto message = makeMessage(id, f.clock.now());
            message.practice = practice;
            REQUIRE(f.store->enqueue(message, test::apiEvent(id)));
            f.clock.advance(1s);
            return id;
        };
        const std::string older = enqueueFor(""); // stored before practices existed
        const std::string ofA = enqueueFor("A83008");
        const std::string ofB = enqueueFor("B81001");

        REQUIRE(f.store->findMessage(ofB).has_value());
        CHECK(f.store->findMessage(ofB)->practice == "B81001");
        CHECK(f.store->findMessage(older)->practice.empty());
        auto claimed = f.store->claimDue(kOwner, 60s, 10);
        REQUIRE(claimed);
        bool sawA = false;
        for (const ClaimedMessage& message : *claimed) {
            if (message.record.messageId == ofA) {
                sawA = true;
                CHECK(message.record.practice == "A83008");
            }
        }
        CHECK(sawA);

        const auto onlyB = f.store->listMessages({}, 10, {"B81001"});
        REQUIRE(onlyB.size() == 1);
        CHECK(onlyB[0].messageId == ofB);
        const auto defaultAndA = f.store->listMessages({}, 10, {"A83008", ""});
        REQUIRE(defaultAndA.size() == 2);
        CHECK(defaultAndA[0].messageId == ofA);
        CHECK(defaultAndA[1].messageId == older);
        CHECK(f.store->listMessages({MessageState::Queued}, 10, {"A83008"}).empty());
        CHECK(f.store->listMessages({MessageState::Sending}, 10, {"A83008"}).size() == 1);
        CHECK(f.store->listMessages({}, 10, {}).size() == 3);

        const StatusSummary status = f.store->status();
        CHECK(status.counts.at(MessageState::Sending) == 3);
        REQUIRE(status.countsByPractice.count("B81001") == 1);
        CHECK(status.countsByPractice.at("B81001").at(MessageState::Sending) == 1);
        CHECK(status.countsByPractice.at("").at(MessageState::Sending) == 1);
        CHECK(status.countsByPractice.count("C99999") == 0);
    }

    TEST_CASE("listMessages filters by any of several states, newest first, within the limit" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string failed = f.failOne();
        f.clock.advance(1s);
        const std::string queuedOld = f.enqueueOne();
        f.clock.advance(1s);
        const std::string queuedNew = f.enqueueOne();

        const auto queued = f.store->listMessages({MessageState::Queued}, 10, {});
        REQUIRE(queued.size() == 2);
        CHECK(queued[0].messageId == queuedNew);
        CHECK(queued[1].messageId == queuedOld);

        const auto both =
            f.store->listMessages({MessageState::Queued, MessageState::Failed}, 10, {});
        CHECK(both.size() == 3);
        CHECK(f.store->listMessages({}, 10, {}).size() == 3);
        CHECK(f.store->listMessages({MessageState::Queued, MessageState::Failed}, 1, {}).size() ==
              1);

        const auto failures = f.store->listMessages({MessageState::Failed}, 10, {});
        REQUIRE(failures.size() == 1);
        CHECK(failures[0].messageId == failed);
        REQUIRE(failures[0].lastError.has_value());
        CHECK(failures[0].lastError->code == "0002");
        CHECK_FALSE(failures[0].acknowledgedAt.has_value());
    }

    TEST_CASE("a retried message is queued again with a fresh persist window and no attempts" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.failOne(30min);
        f.clock.advance(2h); // long past the first window
        REQUIRE(f.store->acknowledgeMessage(id, f.staff(id)));

        REQUIRE(f.store->requeueMessage(id, f.staff(id)));
        const auto record = f.store->findMessage(id);
        REQUIRE(record.has_value());
        CHECK(test::stateName(record->state) == "queued");
        CHECK(record->attempts == 0);
        CHECK(record->expiresAt == f.clock.now() + 30min);
        CHECK_FALSE(record->acknowledgedAt.has_value()); // failing again needs attention again

        const auto rows = f.rowsOf(id, "retry-requested");
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].actor == "api:desk");
        CHECK(rows[0].detail.find("was failed with code 0002 after 1 attempt(s)") !=
              std::string::npos);

        // The same MessageId and bytes go out again.
        auto claimed = f.store->claimDue(kOwner, 60s, 10);
        REQUIRE(claimed);
        REQUIRE(claimed->size() == 1);
        CHECK(claimed->front().record.messageId == id);
        CHECK(claimed->front().body == makeMessage(id, f.clock.now()).body);
        CHECK(claimed->front().record.attempts == 1);
    }

    TEST_CASE("an expired message can be retried; a live or acked one cannot" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string expired = f.enqueueOne(1min);
        f.clock.advance(2min);
        REQUIRE(f.store->claimDue(kOwner, 60s, 10)); // ends it as expired
        REQUIRE(f.stateOf(expired) == "expired");
        CHECK(f.store->requeueMessage(expired, f.staff(expired)));
        CHECK(f.stateOf(expired) == "queued");

        const Status again = f.store->requeueMessage(expired, f.staff(expired));
        REQUIRE_FALSE(again);
        CHECK(again.error().where == "state");
        CHECK(again.error().message.find("is queued") != std::string::npos);

        const Status unknown = f.store->requeueMessage("NO-SUCH-ID", f.staff());
        REQUIRE_FALSE(unknown);
        CHECK(unknown.error().where == "messageId");
        CHECK(f.rowsOf(expired, "retry-requested").size() == 1); // refusals write nothing
    }

    TEST_CASE("a message whose large body file was deleted when it failed is not retried" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.newId();
        OutboundMessage message = makeMessage(id, f.clock.now());
        message.body.clear();
        message.bodyFile = f.dir.file("fragment.bin");
        {
            std::FILE* out = std::fopen(message.bodyFile.c_str(), "wb");
            REQUIRE(out != nullptr);
            std::fputs("fragment", out);
            std::fclose(out);
        }
        REQUIRE(f.store->enqueue(message, test::apiEvent(id)));
        REQUIRE(f.store->claimDue(kOwner, 60s, 10));
        REQUIRE(f.store->recordFailed(id, kOwner, {"http-404", "Not Found"}));
        CHECK_FALSE(std::filesystem::exists(message.bodyFile));

        const Status refused = f.store->requeueMessage(id, f.staff(id));
        REQUIRE_FALSE(refused);
        CHECK(refused.error().where == "body");
        CHECK(f.stateOf(id) == "failed");
    }

    TEST_CASE("acknowledging takes a failure out of needsAttention, once, audited" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string first = f.failOne();
        const std::string second = f.failOne();
        CHECK(f.store->status().needsAttention == 2);

        REQUIRE(f.store->acknowledgeMessage(first, f.staff(first)));
        CHECK(f.store->status().needsAttention == 1);
        REQUIRE(f.store->acknowledgeMessage(first, f.staff(first))); // again: fine, no new row
        CHECK(f.rowsOf(first, "acknowledged").size() == 1);
        CHECK(f.rowsOf(first, "acknowledged")[0].actor == "api:desk");
        CHECK(f.store->findMessage(first)->acknowledgedAt.has_value());
        CHECK_FALSE(f.store->findMessage(second)->acknowledgedAt.has_value());

        const std::string queued = f.enqueueOne();
        const Status refused = f.store->acknowledgeMessage(queued, f.staff(queued));
        REQUIRE_FALSE(refused);
        CHECK(refused.error().where == "state");
    }

    TEST_CASE(
        "while paused nothing is claimed, submissions queue, and the flag survives reopening" *
        doctest::test_suite("store-contract")) {
        Fixture f;
        REQUIRE(f.store->setDispatchPaused(true, f.staff()));
        const std::string id = f.enqueueOne(); // still accepted
        CHECK(f.store->status().paused);

        auto claimed = f.store->claimDue(kOwner, 60s, 10);
        REQUIRE(claimed);
        CHECK(claimed->empty());
        CHECK(f.stateOf(id) == "queued");
        // Only the expiry is due, so an idle dispatcher does not spin on the queued message.
        REQUIRE(f.store->nextDueTime().has_value());
        CHECK(*f.store->nextDueTime() == f.clock.now() + 1h + 1ms);

        f.reopen();
        CHECK(f.store->status().paused);
        CHECK(f.store->claimDue(kOwner, 60s, 10)->empty());

        REQUIRE(f.store->setDispatchPaused(false, f.staff()));
        CHECK_FALSE(f.store->status().paused);
        claimed = f.store->claimDue(kOwner, 60s, 10);
        REQUIRE(claimed);
        CHECK(claimed->size() == 1);
    }

    TEST_CASE("pausing and resuming are audited once per change" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        REQUIRE(f.store->setDispatchPaused(true, f.staff()));
        REQUIRE(f.store->setDispatchPaused(true, f.staff())); // already paused: nothing written
        REQUIRE(f.store->setDispatchPaused(false, f.staff()));
        std::vector<std::string> events;
        for (const AuditRow& row : f.store->auditAfter(0, 100)) {
            events.push_back(row.event + " by " + row.actor);
        }
        CHECK(events == std::vector<std::string>{"dispatch-paused by api:desk",
                                                 "dispatch-resumed by api:desk"});
    }

    TEST_CASE("a paused store still expires messages past their persist duration" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        REQUIRE(f.store->setDispatchPaused(true, f.staff()));
        const std::string id = f.enqueueOne(1min);
        f.clock.advance(2min);
        REQUIRE(f.store->claimDue(kOwner, 60s, 10));
        CHECK(f.stateOf(id) == "expired");
        CHECK(f.store->status().needsAttention == 1);
    }

    TEST_CASE("status reports the last send, and GP2GP transfers by state" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        CHECK_FALSE(f.store->status().lastSentAt.has_value());
        f.enqueueOne();
        const TimePoint sentAt = f.clock.now();
        REQUIRE(f.store->claimDue(kOwner, 60s, 10));
        f.clock.advance(5s);
        CHECK(f.store->status().lastSentAt == sentAt);

        Conversation transfer;
        transfer.conversationId = "C1";
        transfer.role = "requester";
        transfer.state = "continue-sent";
        WorkflowStep step;
        step.conversation = transfer;
        REQUIRE(f.store->applyStep(step));
        transfer.conversationId = "C2";
        transfer.state = "failed";
        step.conversation = transfer;
        REQUIRE(f.store->applyStep(step));
        const auto states = f.store->status().transferStates;
        CHECK(states.at("continue-sent") == 1);
        CHECK(states.at("failed") == 1);
        CHECK(f.store->status().recordsReceived == 0);

        // Records received: the requester's complete and closed transfers, never the sender's.
        for (const auto& [id, role, state] :
             {std::tuple{"C3", "requester", "complete"}, std::tuple{"C4", "requester", "closed"},
              std::tuple{"C5", "sender", "closed"}}) {
            transfer.conversationId = id;
            transfer.role = role;
            transfer.state = state;
            step.conversation = transfer;
            REQUIRE(f.store->applyStep(step));
        }
        CHECK(f.store->status().recordsReceived == 2);
        CHECK(f.store->status().transferStates.at("closed") == 2);
    }

    TEST_CASE("a retried prescription's rejected items wait as queued again" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.newId();
        const OutboundMessage message = makeMessage(id, f.clock.now());
        EpsPrescription prescription;
        prescription.prescriptionId = message.businessId;
        prescription.messageId = id;
        EpsItem item;
        item.prescriptionId = message.businessId;
        item.lineItemId = "A54219B8-F741-4C47-B662-E4F8DFA49AB6";
        item.state = "queued";
        item.prescriptionMessageId = id;
        REQUIRE(f.store->recordPrescription(prescription, {item}, message, test::apiEvent(id)));
        REQUIRE(f.store->claimDue(kOwner, 60s, 10));
        REQUIRE(f.store->recordFailed(id, kOwner, {"0002", "Duplicate prescription ID"}));
        item.state = "rejected"; // as EpsStatusTracker records the failure
        item.code = "0002";
        REQUIRE(f.store->updateItems({item}, {"workflow", "eps-items", id, "rejected"}));

        REQUIRE(f.store->requeueMessage(id, f.staff(id)));
        const auto items = f.store->itemsOf(message.businessId);
        REQUIRE(items.size() == 1);
        CHECK(items[0].state == "queued");
        CHECK(items[0].code.empty());
    }

    TEST_CASE("latestAudit gives the newest rows, oldest first" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        for (int i = 0; i < 5; ++i) {
            f.enqueueOne();
        }
        const auto rows = f.store->latestAudit(2);
        REQUIRE(rows.size() == 2);
        CHECK(rows[0].seq == 4);
        CHECK(rows[1].seq == 5);
    }
}
