#include "StoreTestSupport.hpp"

#include <gp/agent/dispatch/Dispatcher.hpp>
#include <gp/messaging/hl7/ApplicationAck.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

using namespace gp::agent;
using namespace std::chrono_literals;
namespace hl7 = gp::messaging::hl7;
using gp::test::stateName;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

/// Answers from a list, in order, and remembers every request. Single-threaded: these tests
/// drive the dispatcher with runOnce.
class ListTransport final : public HttpTransport {
public:
    std::deque<TransportResult> replies;
    std::vector<HttpRequest> requests;

    TransportResult send(const HttpRequest& request) override {
        requests.push_back(request);
        REQUIRE_FALSE(replies.empty());
        TransportResult reply = replies.front();
        replies.pop_front();
        return reply;
    }
};

TransportResult replied(int code, std::string body = {}, Headers headers = {}) {
    TransportResult result;
    result.response = HttpResponse{code, std::move(headers), std::move(body)};
    return result;
}

std::string applicationAckAA() {
    hl7::ApplicationAckSpec spec;
    spec.messageId = "0F4F2B5C-3E0A-4E8B-9C61-2D1C9E0A7B11";
    spec.creationTime = std::chrono::sys_seconds(std::chrono::seconds(1'773'557'468));
    spec.typeCode = hl7::AckTypeCode::AA;
    spec.messageRef = "7A1C36C2-8D4B-4E83-A7E8-2C5D9B6F0A01";
    spec.fromAsid = "990101234567";
    spec.toAsid = "200000001234";
    return hl7::buildApplicationAck(spec);
}

const std::string kEndpoint = "https://spine.test/reliablemessaging/reliablerequest";
const std::string kCreateUrl =
    "https://ers.test/referrals/FHIR/STU3/ReferralRequest/$ers.createReferral";
const std::string kCreated = R"({"resourceType":"ReferralRequest","id":"000000070000"})";

struct Fixture : gp::test::OpenStore {
    ListTransport transport;
    Dispatcher dispatcher{*store,
                          clock,
                          random,
                          RetryPolicy(RetryPolicySettings{Milliseconds(5000), Milliseconds(60000)}),
                          [] { return std::make_unique<ListTransport>(); },
                          DispatcherSettings{1, 16, Milliseconds(120000), "test-instance"}};
    std::vector<std::string> finished;

    Fixture() {
        dispatcher.setFinishedListener(
            [this](const MessageRecord& record) { finished.push_back(record.messageId); });
    }

    OutboundMessage ebxml(const std::string& id, Milliseconds persist = 5min) {
        OutboundMessage message = gp::test::makeMessage(id, clock.now(), persist);
        message.endpoint = kEndpoint;
        message.interaction = "PORX_IN030101SM32";
        message.soapAction = "urn:nhs:names:services:mm/PORX_IN030101SM32";
        return message;
    }

    OutboundMessage fhirCreate(const std::string& id) {
        OutboundMessage message = gp::test::makeMessage(id, clock.now(), 10min);
        message.kind = "fhir";
        message.interaction = "A011";
        message.service = "e-RS";
        message.endpoint = kCreateUrl;
        message.soapAction.clear();
        message.contentType = "application/fhir+json";
        message.body = R"({"resourceType":"Parameters","parameter":[]})";
        message.headers = {{"NHSD-eRS-Business-Function", "REFERRING_CLINICIAN"},
                           {"NHSD-End-User-Organisation-ODS", "A83008"},
                           {"X-Correlation-ID", id}};
        message.idempotent = false;
        message.retryInterval = 1000ms;
        return message;
    }

    void enqueue(const OutboundMessage& message) {
        REQUIRE(store->enqueue(message, gp::test::apiEvent(message.messageId)));
    }

    MessageRecord record(const std::string& id) {
        const auto found = store->findMessage(id);
        REQUIRE(found);
        return *found;
    }

    std::string lastAudit(const std::string& id) {
        const auto rows = store->auditForMessage(id);
        REQUIRE_FALSE(rows.empty());
        return rows.back().event + ": " + rows.back().detail;
    }
};

const std::string kId = "7A1C36C2-8D4B-4E83-A7E8-2C5D9B6F0A01";

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("Dispatcher polls a deferred Spine reply at 0.5 s then 5 s and keeps the answer" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        f.enqueue(f.ebxml(kId));
        const Headers pollHere = {{"Content-Location", "/_poll/" + kId}};
        f.transport.replies = {replied(202, "", pollHere), replied(202, "", pollHere),
                               replied(200, applicationAckAA(), {{"Content-Type", "text/xml"}})};
        const TimePoint start = f.clock.now();

        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        REQUIRE(f.transport.requests.size() == 1);
        const HttpRequest post = f.transport.requests[0];
        CHECK(post.method == "POST");
        CHECK(post.url == kEndpoint);
        CHECK(post.headers ==
              Headers{{"SOAPAction", "urn:nhs:names:services:mm/PORX_IN030101SM32"},
                      {"Content-Type", "multipart/related; boundary=\"--=_MIME-Boundary\""}});
        CHECK_FALSE(post.body.empty());
        MessageRecord waiting = f.record(kId);
        CHECK(stateName(waiting.state) == "retry-wait");
        CHECK(waiting.nextAttemptAt == start + 500ms);
        // The relative Content-Location is resolved against the URL the message went to.
        const std::string pollUrl = "https://spine.test/_poll/" + kId;
        CHECK(f.lastAudit(kId) == "reply-deferred: poll " + pollUrl);

        f.clock.advance(499ms);
        CHECK(f.dispatcher.runOnce(f.transport) == 0);
        f.clock.advance(1ms);
        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        REQUIRE(f.transport.requests.size() == 2);
        CHECK(f.transport.requests[1].method == "GET");
        CHECK(f.transport.requests[1].url == pollUrl);
        CHECK(f.transport.requests[1].body.empty());
        CHECK(f.transport.requests[1].headers.empty());
        waiting = f.record(kId);
        CHECK(stateName(waiting.state) == "retry-wait");
        CHECK(waiting.nextAttemptAt == start + 5500ms);

        f.clock.advance(4999ms);
        CHECK(f.dispatcher.runOnce(f.transport) == 0);
        f.clock.advance(1ms);
        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        REQUIRE(f.transport.requests.size() == 3);
        CHECK(f.transport.requests[2].method == "GET");
        CHECK(f.transport.requests[2].url == pollUrl);

        const MessageRecord acked = f.record(kId);
        CHECK(stateName(acked.state) == "acked");
        CHECK(acked.attempts == 1); // the message itself went out once
        const auto reply = f.store->replyOf(kId);
        REQUIRE(reply);
        CHECK(reply->status == 200);
        CHECK(reply->contentType == "text/xml");
        CHECK(reply->body == applicationAckAA());
        CHECK(f.lastAudit(kId) == "acked: HTTP 200; AA");
        CHECK(f.finished == std::vector<std::string>{kId});
    }

    TEST_CASE("Dispatcher expires a deferred message whose next poll would be past its expiry" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        f.enqueue(f.ebxml(kId, 3s));
        const Headers pollHere = {{"Content-Location", "https://spine.test/_poll/1"}};
        f.transport.replies = {replied(202, "", pollHere), replied(202, "", pollHere)};

        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        CHECK(f.finished.empty());
        f.clock.advance(500ms);
        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        CHECK(stateName(f.record(kId).state) == "expired");
        CHECK(f.finished == std::vector<std::string>{kId});
        f.clock.advance(1h);
        CHECK(f.dispatcher.runOnce(f.transport) == 0);
        CHECK(f.transport.requests.size() == 2);
    }

    TEST_CASE("Dispatcher retries an e-RS 429 after its Retry-After and keeps the 201 reply" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const OutboundMessage create = f.fhirCreate(kId);
        f.enqueue(create);
        f.transport.replies = {
            replied(429, R"({"resourceType":"OperationOutcome","issue":[]})",
                    {{"Retry-After", "2"}}),
            replied(201, kCreated,
                    {{"Content-Type", "application/fhir+json"},
                     {"Location", "https://ers.test/referrals/FHIR/STU3/ReferralRequest/"
                                  "000000070000"},
                     {"ETag", "W/\"1\""}})};
        const TimePoint start = f.clock.now();

        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        REQUIRE(f.transport.requests.size() == 1);
        const HttpRequest first = f.transport.requests[0]; // a copy: the list grows
        CHECK(first.method == "POST");
        CHECK(first.url == kCreateUrl);
        CHECK(first.headers == Headers{{"Content-Type", "application/fhir+json"},
                                       {"NHSD-eRS-Business-Function", "REFERRING_CLINICIAN"},
                                       {"NHSD-End-User-Organisation-ODS", "A83008"},
                                       {"X-Correlation-ID", kId}});
        CHECK(first.body == create.body);
        const MessageRecord waiting = f.record(kId);
        CHECK(stateName(waiting.state) == "retry-wait");
        CHECK(waiting.nextAttemptAt == start + 2s); // Retry-After beats the 1 s backoff
        REQUIRE(waiting.lastError);
        CHECK(waiting.lastError->code == "http-429");

        f.clock.advance(1999ms);
        CHECK(f.dispatcher.runOnce(f.transport) == 0);
        f.clock.advance(1ms);
        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        REQUIRE(f.transport.requests.size() == 2);
        CHECK(f.transport.requests[1].body == create.body);
        CHECK(f.transport.requests[1].headers == first.headers);

        CHECK(stateName(f.record(kId).state) == "acked");
        const auto reply = f.store->replyOf(kId);
        REQUIRE(reply);
        CHECK(reply->status == 201);
        CHECK(reply->body == kCreated);
        CHECK(reply->etag == "W/\"1\"");
        CHECK(reply->location ==
              "https://ers.test/referrals/FHIR/STU3/ReferralRequest/000000070000");
        CHECK(f.lastAudit(kId) == "acked: HTTP 201");
        CHECK(f.finished == std::vector<std::string>{kId});
    }

    TEST_CASE("Dispatcher never resends an e-RS create whose reply was lost" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        f.enqueue(f.fhirCreate(kId));
        TransportResult timeout;
        timeout.failure = TransportResult::Failure::Timeout;
        timeout.failureText = "Operation timed out after 30000 milliseconds";
        f.transport.replies = {timeout};

        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        const MessageRecord failed = f.record(kId);
        CHECK(stateName(failed.state) == "failed");
        REQUIRE(failed.lastError);
        CHECK(failed.lastError->code == "outcome-unknown");
        CHECK_FALSE(f.store->replyOf(kId).has_value());
        CHECK(f.finished == std::vector<std::string>{kId});

        f.clock.advance(1h);
        CHECK(f.dispatcher.runOnce(f.transport) == 0);
        CHECK(f.transport.requests.size() == 1);
    }

    TEST_CASE("Dispatcher fails an e-RS 422 with the OperationOutcome code and keeps the reply" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        f.enqueue(f.fhirCreate(kId));
        const std::string outcome =
            R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid",)"
            R"("details":{"coding":[{"code":"INVALID_VALUE","display":"Invalid value"}]},)"
            R"("diagnostics":"Unknown service 99999"}]})";
        f.transport.replies = {replied(422, outcome, {{"Content-Type", "application/fhir+json"}})};

        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        const MessageRecord failed = f.record(kId);
        CHECK(stateName(failed.state) == "failed");
        REQUIRE(failed.lastError);
        CHECK(failed.lastError->code == "INVALID_VALUE");
        CHECK(failed.lastError->text == "Unknown service 99999");
        const auto reply = f.store->replyOf(kId);
        REQUIRE(reply);
        CHECK(reply->status == 422);
        CHECK(reply->body == outcome);
        CHECK(f.finished == std::vector<std::string>{kId});
    }

    TEST_CASE(
        "Dispatcher sends a stored GET without a body and keeps the Spine reply to a failure" *
        doctest::test_suite("store-contract")) {
        Fixture f;
        OutboundMessage read = f.fhirCreate(kId);
        read.method = "GET";
        read.endpoint = "https://ers.test/referrals/FHIR/STU3/ReferralRequest/000000070000";
        read.contentType.clear();
        read.body.clear();
        read.idempotent = true;
        f.enqueue(read);
        f.transport.replies = {replied(200, kCreated, {{"ETag", "W/\"2\""}})};

        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        REQUIRE(f.transport.requests.size() == 1);
        CHECK(f.transport.requests[0].method == "GET");
        CHECK(f.transport.requests[0].body.empty());
        CHECK(f.transport.requests[0].headers.size() == 3); // no Content-Type, no SOAPAction
        CHECK(f.store->replyOf(kId)->etag == "W/\"2\"");

        // An ebXML message failed by Spine keeps that reply too (EPS reads cancellation codes).
        const std::string other = "9E3C1B2A-1111-4E83-A7E8-2C5D9B6F0A02";
        f.enqueue(f.ebxml(other));
        f.transport.replies = {replied(404, "Not here")};
        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        CHECK(stateName(f.record(other).state) == "failed");
        REQUIRE(f.store->replyOf(other));
        CHECK(f.store->replyOf(other)->body == "Not here");
    }

    TEST_CASE("Dispatcher sends a non-idempotent message on a fresh connection, others on a kept "
              "one" *
              doctest::test_suite("store-contract")) {
        // Found by the crash campaign: libcurl resent a create on a new connection after its
        // kept-alive one died, and the resend's connect failure hid that the first had arrived.
        Fixture f;
        f.enqueue(f.fhirCreate(kId));
        f.transport.replies = {replied(201, kCreated, {{"ETag", "W/\"1\""}})};
        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        const std::string other = "9E3C1B2A-1111-4E83-A7E8-2C5D9B6F0A03";
        f.enqueue(f.ebxml(other));
        f.transport.replies = {replied(200, applicationAckAA(), {{"Content-Type", "text/xml"}})};
        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        REQUIRE(f.transport.requests.size() == 2);
        CHECK(f.transport.requests[0].freshConnection);
        CHECK_FALSE(f.transport.requests[1].freshConnection);
    }
}
