#include "StoreTestSupport.hpp"

#include <gp/agent/store/Store.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

using namespace gp;
using namespace gp::agent;
using namespace std::chrono_literals;
using gp::test::makeMessage;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;
using Events = std::vector<std::string>;

const std::string kPollUrl = "https://spine.test/_poll/7A1C36C2-8D4B-4E83-A7E8-2C5D9B6F0A01";

struct Fixture : test::OpenStore {
    std::string newId() { return messaging::ids::newUuid(random); }

    OutboundMessage fhirMessage(const std::string& id) {
        OutboundMessage message = makeMessage(id, clock.now());
        message.kind = "fhir";
        message.method = "PUT";
        message.interaction = "A012";
        message.service = "e-RS";
        message.endpoint = "https://ers.test/referrals/FHIR/STU3/ReferralRequest/000000070000/"
                           "$ers.maintainReferralLetter";
        message.soapAction.clear();
        message.contentType = "application/fhir+json";
        message.body = R"({"resourceType":"Parameters"})";
        message.headers = {{"NHSD-eRS-Business-Function", "REFERRING_CLINICIAN"},
                           {"If-Match", "W/\"3\""},
                           {"X-Note", "quotes \" and \\ and caf\xc3\xa9"},
                           {"X-Note", "a second value"}};
        message.idempotent = false;
        message.retryInterval = 1000ms;
        return message;
    }

    ClaimedMessage claimOne(const std::string& owner = "worker-1") {
        auto claimed = store->claimDue(owner, 60s, 10);
        REQUIRE(claimed);
        REQUIRE(claimed->size() == 1);
        return claimed->front();
    }

    std::vector<AuditRow> audit(const std::string& id) { return store->auditForMessage(id); }

    Events events(const std::string& id) {
        Events names;
        for (const AuditRow& row : audit(id)) {
            names.push_back(row.event);
        }
        return names;
    }

    MessageRecord record(const std::string& id) {
        const auto found = store->findMessage(id);
        REQUIRE(found);
        return *found;
    }
};

StoredReply referralCreated() {
    return StoredReply{201, "application/fhir+json",
                       "https://ers.test/referrals/FHIR/STU3/ReferralRequest/000000070000",
                       "W/\"1\"", R"({"resourceType":"ReferralRequest","id":"000000070000"})"};
}

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("an e-RS message keeps its kind, method, headers and idempotence through a claim" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.newId();
        const OutboundMessage message = f.fhirMessage(id);
        REQUIRE(f.store->enqueue(message, test::apiEvent(id)));

        CHECK(f.record(id).kind == "fhir");
        const ClaimedMessage claimed = f.claimOne();
        CHECK(claimed.record.kind == "fhir");
        CHECK(claimed.method == "PUT");
        CHECK(claimed.headers == message.headers); // order, duplicates and escapes survive
        CHECK_FALSE(claimed.idempotent);
        CHECK(claimed.pollUrl.empty());
        CHECK(claimed.body == message.body);
        CHECK(claimed.contentType == "application/fhir+json");
        REQUIRE(claimed.retryInterval);
        CHECK(*claimed.retryInterval == 1000ms);
    }

    TEST_CASE("a message enqueued without the new fields is an idempotent ebXML POST" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.newId();
        REQUIRE(f.store->enqueue(makeMessage(id, f.clock.now()), test::apiEvent(id)));
        const ClaimedMessage claimed = f.claimOne();
        CHECK(claimed.record.kind == "ebxml");
        CHECK(claimed.method == "POST");
        CHECK(claimed.headers.empty());
        CHECK(claimed.idempotent);
        CHECK(claimed.pollUrl.empty());
    }

    TEST_CASE("messages queued by a workflow step keep the new fields too" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.newId();
        WorkflowStep step;
        step.outbound.push_back(f.fhirMessage(id));
        step.audit.push_back(AuditEvent{"workflow", "ers-step", id, "create referral"});
        REQUIRE(f.store->applyStep(step));

        CHECK(f.record(id).kind == "fhir");
        const std::vector<MessageRecord> listed = f.store->messagesOf(id);
        REQUIRE(listed.size() == 1);
        CHECK(listed.front().kind == "fhir");
        const ClaimedMessage claimed = f.claimOne();
        CHECK(claimed.method == "PUT");
        CHECK(claimed.headers == step.outbound.front().headers);
        CHECK_FALSE(claimed.idempotent);
    }

    TEST_CASE("an unknown kind or method is refused and nothing is stored" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.newId();
        OutboundMessage message = f.fhirMessage(id);
        message.kind = "soap";
        Status refused = f.store->enqueue(message, test::apiEvent(id));
        REQUIRE_FALSE(refused);
        CHECK(refused.error().where == "kind");
        CHECK(refused.error().message == "'soap' is neither ebxml nor fhir");

        message.kind = "fhir";
        message.method = "DELETE";
        refused = f.store->enqueue(message, test::apiEvent(id));
        REQUIRE_FALSE(refused);
        CHECK(refused.error().where == "method");
        CHECK(refused.error().message == "'DELETE' is not POST, PUT or GET");
        CHECK_FALSE(f.store->findMessage(id).has_value());
    }

    TEST_CASE("the reply that acknowledged a message is kept for its workflow" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.newId();
        REQUIRE(f.store->enqueue(f.fhirMessage(id), test::apiEvent(id)));
        CHECK_FALSE(f.store->replyOf(id).has_value());
        f.claimOne();

        REQUIRE(f.store->recordAckedWithReply(id, "worker-1", "HTTP 201", referralCreated()));
        CHECK(test::stateName(f.record(id).state) == "acked");
        const auto reply = f.store->replyOf(id);
        REQUIRE(reply);
        CHECK(reply->status == 201);
        CHECK(reply->contentType == "application/fhir+json");
        CHECK(reply->location ==
              "https://ers.test/referrals/FHIR/STU3/ReferralRequest/000000070000");
        CHECK(reply->etag == "W/\"1\"");
        CHECK(reply->body == referralCreated().body);
        CHECK(f.events(id) == Events{"accepted", "sending", "acked"});
        CHECK(f.audit(id).back().detail == "HTTP 201");
        CHECK_FALSE(f.store->replyOf("no-such-message").has_value());
    }

    TEST_CASE("the reply that failed a message is kept with its error" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.newId();
        REQUIRE(f.store->enqueue(f.fhirMessage(id), test::apiEvent(id)));
        f.claimOne();
        const StoredReply conflict{409, "application/fhir+json", "", "",
                                   R"({"resourceType":"OperationOutcome"})"};
        REQUIRE(f.store->recordFailedWithReply(id, "worker-1", {"http-409", "version conflict"},
                                               conflict));
        const MessageRecord failed = f.record(id);
        CHECK(test::stateName(failed.state) == "failed");
        REQUIRE(failed.lastError);
        CHECK(failed.lastError->code == "http-409");
        const auto reply = f.store->replyOf(id);
        REQUIRE(reply);
        CHECK(reply->status == 409);
        CHECK(reply->body == conflict.body);
        CHECK(f.audit(id).back().event == "failed");
        CHECK(f.audit(id).back().detail == "code http-409");
    }

    TEST_CASE("replies are recorded only by the lease holder" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.newId();
        REQUIRE(f.store->enqueue(f.fhirMessage(id), test::apiEvent(id)));
        f.claimOne("worker-1");
        CHECK_FALSE(f.store->recordAckedWithReply(id, "worker-2", "HTTP 201", referralCreated()));
        CHECK_FALSE(
            f.store->recordFailedWithReply(id, "worker-2", {"http-422", ""}, referralCreated()));
        const Status deferred = f.store->recordDeferred(id, "worker-2", f.clock.now(), kPollUrl);
        REQUIRE_FALSE(deferred);
        CHECK(deferred.error().message ==
              "message " + id + " is sending and not held by worker-2: the lease was lost");
        CHECK(test::stateName(f.record(id).state) == "sending");
        CHECK_FALSE(f.store->replyOf(id).has_value());
    }

    TEST_CASE("a reply body is kept up to 1 MiB and cut beyond, with an audit note" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string whole = f.newId();
        const std::string cut = f.newId();
        REQUIRE(f.store->enqueue(f.fhirMessage(whole), test::apiEvent(whole)));
        REQUIRE(f.store->enqueue(f.fhirMessage(cut), test::apiEvent(cut)));
        auto claimed = f.store->claimDue("worker-1", 60s, 10);
        REQUIRE(claimed);
        REQUIRE(claimed->size() == 2);

        StoredReply reply = referralCreated();
        reply.body.assign(kMaxStoredReplyBytes, 'x');
        REQUIRE(f.store->recordAckedWithReply(whole, "worker-1", "HTTP 200", reply));
        reply.body += "0123456789";
        REQUIRE(f.store->recordAckedWithReply(cut, "worker-1", "HTTP 200", reply));

        CHECK(kMaxStoredReplyBytes == 1048576);
        CHECK(f.store->replyOf(whole)->body.size() == kMaxStoredReplyBytes);
        CHECK(f.audit(whole).back().detail == "HTTP 200");
        const auto kept = f.store->replyOf(cut);
        REQUIRE(kept);
        CHECK(kept->body == std::string(kMaxStoredReplyBytes, 'x'));
        CHECK(f.audit(cut).back().detail == "HTTP 200; reply body cut to 1048576 of 1048586 bytes");
    }

    TEST_CASE("a deferred reply is polled, not resent, until the answer is kept" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.newId();
        // One attempt allowed: polls are not attempts, so they must not exhaust it.
        REQUIRE(f.store->enqueue(makeMessage(id, f.clock.now(), 1h, 1), test::apiEvent(id)));
        CHECK(f.claimOne().record.attempts == 1);

        const TimePoint firstPoll = f.clock.now() + 500ms;
        REQUIRE(f.store->recordDeferred(id, "worker-1", firstPoll, kPollUrl));
        MessageRecord waiting = f.record(id);
        CHECK(test::stateName(waiting.state) == "retry-wait");
        CHECK(waiting.nextAttemptAt == firstPoll);
        CHECK(f.store->nextDueTime() == firstPoll);
        CHECK(f.audit(id).back().event == "reply-deferred");
        CHECK(f.audit(id).back().detail == "poll " + kPollUrl);

        auto early = f.store->claimDue("worker-1", 60s, 10);
        REQUIRE(early);
        CHECK(early->empty());

        f.clock.set(firstPoll);
        ClaimedMessage poll = f.claimOne();
        CHECK(poll.pollUrl == kPollUrl);
        CHECK(poll.record.attempts == 1);
        CHECK(f.audit(id).back().detail == "poll for the reply to attempt 1");

        // Not ready yet: another deferral, then the answer.
        const TimePoint secondPoll = f.clock.now() + 5s;
        REQUIRE(f.store->recordDeferred(id, "worker-1", secondPoll, kPollUrl));
        f.clock.set(secondPoll);
        poll = f.claimOne();
        CHECK(poll.pollUrl == kPollUrl);
        CHECK(poll.record.attempts == 1);

        const StoredReply answer{200, "text/xml", "", "", "<hl7:MCCI_IN010000UK13/>"};
        REQUIRE(f.store->recordAckedWithReply(id, "worker-1", "HTTP 200; AA", answer));
        CHECK(test::stateName(f.record(id).state) == "acked");
        CHECK(f.store->replyOf(id)->body == answer.body);
        CHECK(f.events(id) == Events{"accepted", "sending", "reply-deferred", "sending",
                                     "reply-deferred", "sending", "acked"});
    }

    TEST_CASE("a poll that fails is retried as a poll" * doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.newId();
        REQUIRE(f.store->enqueue(makeMessage(id, f.clock.now()), test::apiEvent(id)));
        f.claimOne();
        REQUIRE(f.store->recordDeferred(id, "worker-1", f.clock.now(), kPollUrl));
        f.claimOne();
        REQUIRE(
            f.store->recordRetry(id, "worker-1", f.clock.now() + 2s, {"http-503", "busy"}, true));
        f.clock.advance(2s);
        const ClaimedMessage again = f.claimOne();
        CHECK(again.pollUrl == kPollUrl);
        CHECK(again.record.attempts == 1);
    }

    TEST_CASE("a deferral whose poll would come after expiry expires the message" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.newId();
        REQUIRE(f.store->enqueue(makeMessage(id, f.clock.now(), 3s), test::apiEvent(id)));
        f.claimOne();
        const TimePoint expiresAt = f.record(id).expiresAt;
        REQUIRE(f.store->recordDeferred(id, "worker-1", f.clock.now() + 5s, kPollUrl));
        const MessageRecord expired = f.record(id);
        CHECK(test::stateName(expired.state) == "expired");
        REQUIRE(expired.lastError);
        CHECK(expired.lastError->code == "expired");
        CHECK(f.audit(id).back().event == "expired");
        CHECK(expiresAt == f.clock.now() + 3s);
        CHECK(f.audit(id).back().detail ==
              "reply deferred; next poll 2026-03-15T06:51:13.000Z would be after expiry "
              "2026-03-15T06:51:11.000Z");
    }

    TEST_CASE("a deferral without a poll URL is refused" * doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.newId();
        REQUIRE(f.store->enqueue(makeMessage(id, f.clock.now()), test::apiEvent(id)));
        f.claimOne();
        const Status refused = f.store->recordDeferred(id, "worker-1", f.clock.now(), "");
        REQUIRE_FALSE(refused);
        CHECK(refused.error().where == "pollUrl");
        CHECK(test::stateName(f.record(id).state) == "sending");
    }
}
