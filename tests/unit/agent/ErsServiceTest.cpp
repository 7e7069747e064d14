#include "StoreTestSupport.hpp"

#include <gp/agent/Files.hpp>
#include <gp/agent/TimeFormat.hpp>
#include <gp/agent/ers/ErsService.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

using namespace gp::agent;
using gp::test::OpenStore;

namespace {

const std::string kNhs = "9449304130";
const std::string kOwner = "test-dispatcher";

std::string referralJson(const std::string& ubrn, const std::string& version,
                         const std::string& attachmentUrl = "") {
    std::string json = R"({"resourceType": "ReferralRequest", "id": ")" + ubrn +
                       R"(", "meta": {"versionId": ")" + version + R"("}, "status": "active")";
    if (!attachmentUrl.empty()) {
        json += R"(, "contained": [{"resourceType": "DocumentReference", "id": "d1", "content":
                 [{"attachment": {"url": ")" +
                attachmentUrl + R"("}}]}], "supportingInfo": [{"reference": "#d1"}])";
    }
    return json + "}";
}

struct Entry {
    std::string ubrn;
    std::string correlationId; // empty: as e-RS itself answers
    std::string createdAt;
};

std::string worklistJson(const std::vector<Entry>& entries) {
    std::string json = R"({"resourceType": "List", "entry": [)";
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& entry = entries[i];
        json += i ? "," : "";
        json += R"({"extension": [{"url": "item", "extension": [
            {"url": "patient", "valueReference": {"identifier": {"value": ")" +
                kNhs + R"("}}}, {"url": "referralCreated", "valueDateTime": ")" + entry.createdAt +
                R"("}]})";
        if (!entry.correlationId.empty()) {
            json += R"(, {"url": "https://x/Extension-Mock-CorrelationId", "valueString": ")" +
                    entry.correlationId + "\"}";
        }
        json += R"(], "item": {"reference": "ReferralRequest/)" + entry.ubrn + "\"}}";
    }
    return json + "]}";
}

std::string outcomeJson(const std::string& code) {
    return R"({"resourceType": "OperationOutcome", "issue": [{"severity": "error",
        "code": "value", "details": {"coding": [{"code": ")" +
           code + R"("}]}}]})";
}

std::optional<std::string> header(const ClaimedMessage& message, const std::string& name) {
    for (const auto& [key, value] : message.headers) {
        if (key == name) {
            return value;
        }
    }
    return std::nullopt;
}

std::string cancelledJson(const std::string& ubrn, const std::string& version) {
    return R"({"resourceType": "ReferralRequest", "id": ")" + ubrn +
           R"(", "meta": {"versionId": ")" + version + R"("}, "status": "cancelled"})";
}

/// Answers the e-RS service's synchronous calls from a script and keeps what was sent.
struct FakeTransport final : HttpTransport {
    std::vector<HttpRequest> sent;
    std::vector<TransportResult> replies;

    TransportResult send(const HttpRequest& request) override {
        sent.push_back(request);
        REQUIRE_FALSE(replies.empty());
        auto reply = replies.front();
        replies.erase(replies.begin());
        return reply;
    }

    void answer(int status, const std::string& body,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
        TransportResult result;
        result.response = HttpResponse{status, std::move(headers), body};
        replies.push_back(result);
    }
};

std::optional<std::string> header(const HttpRequest& request, const std::string& name) {
    for (const auto& [key, value] : request.headers) {
        if (key == name) {
            return value;
        }
    }
    return std::nullopt;
}

struct Fixture : OpenStore {
    std::filesystem::path tokenFile = dir.file("ers-token");
    FakeTransport* transport = nullptr;
    std::unique_ptr<ErsService> service;

    explicit Fixture(bool withToken = true) {
        if (withToken) {
            writeFileAtomically(tokenFile, "secret-token\n", 0600);
        }
        AgentSettings::Ers settings;
        settings.url = "http://ers.test/referrals/FHIR/STU3";
        settings.businessFunction = "REFERRING_CLINICIAN";
        settings.tokenFile = tokenFile;
        auto fake = std::make_unique<FakeTransport>();
        transport = fake.get();
        service =
            std::make_unique<ErsService>(ErsService::Dependencies{*store, clock, random, {}},
                                         settings, "A83008", dir.file("ers"), std::move(fake));
    }

    std::string refer(const std::vector<std::string>& services, const std::string& letter = "") {
        ErsReferralInput input;
        input.nhsNumber = kNhs;
        input.serviceIds = services;
        input.letterFile = letter;
        auto accepted = service->refer(input, "test");
        REQUIRE_MESSAGE(accepted.ok(), accepted.error().describe());
        return *accepted;
    }

    ClaimedMessage claim() {
        auto claimed = store->claimDue(kOwner, std::chrono::minutes(1), 10);
        REQUIRE(claimed.ok());
        REQUIRE(claimed->size() == 1);
        return claimed->front();
    }

    void ack(const ClaimedMessage& message, int status, const std::string& body,
             const std::string& etag = "", const std::string& location = "") {
        StoredReply reply{status, "application/fhir+json", location, etag, body};
        REQUIRE(store->recordAckedWithReply(message.record.messageId, kOwner, "HTTP", reply).ok());
        service->runOnce();
    }

    void fail(const ClaimedMessage& message, const std::string& code, int status = 0,
              const std::string& body = "") {
        const MessageError error{code, "failed in test"};
        if (status == 0) {
            REQUIRE(store->recordFailed(message.record.messageId, kOwner, error).ok());
        } else {
            StoredReply reply{status, "application/fhir+json", "", "", body};
            REQUIRE(
                store->recordFailedWithReply(message.record.messageId, kOwner, error, reply).ok());
        }
        service->runOnce();
    }

    ErsRequest request(const std::string& id) {
        auto found = store->findErsRequest(id);
        REQUIRE(found.has_value());
        return *found;
    }

    std::vector<std::string> steps(const std::string& id) {
        std::vector<std::string> out;
        for (const auto& step : store->ersStepsOf(id)) {
            out.push_back(step.step + ":" + step.state + ":" + step.code);
        }
        return out;
    }

    /// A request without a letter, created as `ubrn` version 1: complete.
    std::string completed(const std::string& ubrn = "000000091234") {
        const auto id = refer({"10000001"});
        ack(claim(), 201, referralJson(ubrn, "1"), "W/\"1\"");
        REQUIRE(request(id).state == "complete");
        return id;
    }

    bool nothingQueued() {
        auto claimed = store->claimDue(kOwner, std::chrono::minutes(1), 10);
        return claimed.ok() && claimed->empty();
    }
};

} // namespace

TEST_SUITE("agent") {
    TEST_CASE("an e-RS referral queues one create with every required header, never resent" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto id = f.refer({"10000001", "10000002"});
        auto create = f.claim();
        CHECK(create.record.kind == "fhir");
        CHECK(create.record.interaction == "A011");
        CHECK(create.record.endpoint ==
              "http://ers.test/referrals/FHIR/STU3/ReferralRequest/$ers.createReferral");
        CHECK(create.method == "POST");
        CHECK(create.contentType == "application/fhir+json");
        CHECK_FALSE(create.idempotent);
        CHECK(header(create, "Authorization") == std::optional<std::string>("Bearer secret-token"));
        CHECK(header(create, "NHSD-eRS-Business-Function") ==
              std::optional<std::string>("REFERRING_CLINICIAN"));
        CHECK(header(create, "NHSD-End-User-Organisation-ODS") ==
              std::optional<std::string>("A83008"));
        CHECK(header(create, "X-Correlation-ID") == std::optional<std::string>(id + "-create-1"));
        CHECK(create.body.find(kNhs) != std::string::npos);
        CHECK(f.request(id).state == "creating");

        f.ack(create, 201, referralJson("000000091234", "1"), "W/\"1\"");
        CHECK(f.request(id).state == "complete");
        CHECK(f.request(id).ubrn == "000000091234");
        CHECK(f.steps(id) == std::vector<std::string>{"create:done:201"});
    }

    TEST_CASE("an e-RS referral is refused when ers.tokenFile is missing, and nothing is stored" *
              doctest::test_suite("store-contract")) {
        Fixture f(false);
        ErsReferralInput input;
        input.nhsNumber = kNhs;
        input.serviceIds = {"10000001"};
        auto refused = f.service->refer(input, "test");
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().where == "ers");
        CHECK(f.store->activeErsRequests(10).empty());
        CHECK(f.nothingQueued());
    }

    TEST_CASE("a lost create is matched on a plain e-RS worklist by patient and time" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto id = f.refer({"10000001"});
        f.fail(f.claim(), "outcome-unknown");
        CHECK(f.request(id).state == "looking-up");
        auto lookup = f.claim();
        CHECK(lookup.record.interaction == "A008");
        CHECK(lookup.idempotent);
        CHECK(lookup.record.endpoint.find("?correlationId=" + id + "-create-1") !=
              std::string::npos);

        // e-RS echoes no correlation id: one new referral for this patient is ours. One made
        // long before this request is not.
        const std::string now = formatIsoTime(f.clock.now());
        const std::string lastWeek = formatIsoTime(f.clock.now() - std::chrono::hours(24 * 7));
        const std::string body =
            worklistJson({{"000000091234", "", now}, {"000000090001", "", lastWeek}});
        f.ack(lookup, 200, body);
        CHECK(f.request(id).state == "complete");
        CHECK(f.request(id).ubrn == "000000091234");
        CHECK(f.steps(id) ==
              std::vector<std::string>{"create:failed:outcome-unknown", "lookup:done:found"});
        CHECK(f.nothingQueued());
    }

    TEST_CASE("two possible referrals on the worklist fail the request rather than guess" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto id = f.refer({"10000001"});
        f.fail(f.claim(), "outcome-unknown");
        const std::string now = formatIsoTime(f.clock.now());
        f.ack(f.claim(), 200, worklistJson({{"000000091234", "", now}, {"000000091235", "", now}}));
        CHECK(f.request(id).state == "failed");
        CHECK(f.request(id).errorCode == "ambiguous");
        CHECK(f.nothingQueued());
    }

    TEST_CASE("a lost create e-RS never made is created again, at most three times in all" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto id = f.refer({"10000001"});
        for (int attempt = 1; attempt <= 3; ++attempt) {
            auto create = f.claim();
            CHECK(create.record.interaction == "A011");
            CHECK(header(create, "X-Correlation-ID") ==
                  std::optional<std::string>(id + "-create-" + std::to_string(attempt)));
            f.fail(create, "outcome-unknown");
            // Entries under other correlation ids are someone else's referrals.
            f.ack(f.claim(), 200,
                  worklistJson({{"000000090001", "OTHER-create-1", formatIsoTime(f.clock.now())}}));
        }
        CHECK(f.request(id).state == "failed");
        CHECK(f.request(id).errorCode == "outcome-unknown");
        CHECK(f.request(id).createAttempts == 3);
        CHECK(f.nothingQueued());
    }

    TEST_CASE("a 422 on create fails the request with e-RS's code and a sentence for staff" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto letter = f.dir.file("letter.pdf");
        writeFileAtomically(letter, "%PDF-1.4 letter");
        const auto id = f.refer({"99999999"}, letter.string());
        const auto copy = f.request(id).letterFile;
        CHECK(std::filesystem::exists(copy));
        f.fail(f.claim(), "REFERENCE_NOT_FOUND", 422, outcomeJson("REFERENCE_NOT_FOUND"));
        const auto failed = f.request(id);
        CHECK(failed.state == "failed");
        CHECK(failed.errorCode == "REFERENCE_NOT_FOUND");
        CHECK(failed.errorText ==
              "e-RS could not find something the request names (a service, referral or "
              "attachment): check the ids.");
        CHECK_FALSE(std::filesystem::exists(copy)); // the agent's copy of the letter is gone
    }

    TEST_CASE("every e-RS call of a request names the practice that made it" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto letter = f.dir.file("letter.pdf");
        writeFileAtomically(letter, "%PDF-1.4 letter");
        ErsReferralInput input;
        input.nhsNumber = kNhs;
        input.serviceIds = {"10000001"};
        input.letterFile = letter.string();
        input.practice = "B81001";
        auto accepted = f.service->refer(input, "test");
        REQUIRE_MESSAGE(accepted.ok(), accepted.error().describe());
        CHECK(f.request(*accepted).practice == "B81001");

        auto create = f.claim();
        CHECK(create.record.practice == "B81001");
        CHECK(header(create, "NHSD-End-User-Organisation-ODS") ==
              std::optional<std::string>("B81001"));
        f.ack(create, 201, referralJson("000000091234", "1"), "W/\"1\"");
        // The next step is built from the stored request, long after the caller has gone.
        auto upload = f.claim();
        CHECK(upload.record.interaction == "A020");
        CHECK(upload.record.practice == "B81001");
        CHECK(header(upload, "NHSD-End-User-Organisation-ODS") ==
              std::optional<std::string>("B81001"));

        // A search is made as the practice asking; naming none, as the default.
        f.transport->answer(200, R"({"resourceType": "List", "entry": []})");
        f.transport->answer(200, R"({"resourceType": "List", "entry": []})");
        ErsServiceQuery query{kNhs, "CARDIOLOGY", "ROUTINE"};
        query.practice = "C82001";
        REQUIRE(f.service->searchServices(query).ok());
        REQUIRE(f.service->searchServices({kNhs, "CARDIOLOGY", "ROUTINE"}).ok());
        REQUIRE(f.transport->sent.size() == 2);
        CHECK(header(f.transport->sent[0], "NHSD-End-User-Organisation-ODS") ==
              std::optional<std::string>("C82001"));
        CHECK(header(f.transport->sent[1], "NHSD-End-User-Organisation-ODS") ==
              std::optional<std::string>("A83008"));
    }

    TEST_CASE("a letter is uploaded, attached with If-Match, and a 409 re-reads first" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto letter = f.dir.file("letter.pdf");
        writeFileAtomically(letter, "%PDF-1.4 letter");
        const auto id = f.refer({"10000001"}, letter.string());
        f.ack(f.claim(), 201, referralJson("000000091234", "1"), "W/\"1\"");

        auto upload = f.claim();
        CHECK(upload.record.interaction == "A020");
        CHECK(upload.contentType == "application/pdf");
        CHECK(upload.bodyFile == f.request(id).letterFile);
        CHECK(header(upload, "NHSD-eRS-Referral-ID") == std::optional<std::string>("000000091234"));
        CHECK(header(upload, "NHSD-eRS-File-Name") == std::optional<std::string>("letter.pdf"));
        f.ack(upload, 201, "", "", "/referrals/FHIR/STU3/Binary/att-1");

        auto attach = f.claim();
        CHECK(attach.record.interaction == "A012");
        CHECK(header(attach, "If-Match") == std::optional<std::string>("W/\"1\""));
        CHECK(attach.body.find("Binary/att-1") != std::string::npos);
        f.fail(attach, "http-409", 409, outcomeJson("CONFLICT"));

        auto reread = f.claim();
        CHECK(reread.record.interaction == "A005");
        CHECK(reread.method == "GET");
        f.ack(reread, 200, referralJson("000000091234", "3"), "W/\"3\"");

        auto again = f.claim();
        CHECK(header(again, "If-Match") == std::optional<std::string>("W/\"3\""));
        f.ack(again, 200, referralJson("000000091234", "4", "Binary/att-1"), "W/\"4\"");
        CHECK(f.request(id).state == "complete");
        CHECK(f.request(id).version == "4");
        CHECK(f.steps(id) == std::vector<std::string>{"create:done:201", "upload:done:201",
                                                      "attach:failed:http-409", "reread:done:200",
                                                      "attach:done:200"});
    }

    TEST_CASE("a re-read that finds the letter already attached completes without resending" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto letter = f.dir.file("letter.pdf");
        writeFileAtomically(letter, "%PDF-1.4 letter");
        const auto id = f.refer({"10000001"}, letter.string());
        f.ack(f.claim(), 201, referralJson("000000091234", "1"), "W/\"1\"");
        f.ack(f.claim(), 201, "", "", "/referrals/FHIR/STU3/Binary/att-1");
        // The first attach worked but its answer was a 409 for a retry of it.
        f.fail(f.claim(), "http-409", 409, outcomeJson("CONFLICT"));
        f.ack(f.claim(), 200, referralJson("000000091234", "2", "Binary/att-1"), "W/\"2\"");
        CHECK(f.request(id).state == "complete");
        CHECK(f.nothingQueued());
    }

    TEST_CASE("a complete referral is cancelled with If-Match and its reason, once" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto id = f.completed();
        auto queued = f.service->cancel(id, "patient moved away", "test");
        REQUIRE(queued.ok());
        CHECK(queued->state == "cancelling");
        CHECK(f.request(id).state == "cancelling");

        auto cancel = f.claim();
        CHECK(cancel.record.interaction == "A036");
        CHECK(cancel.record.endpoint == "http://ers.test/referrals/FHIR/STU3/ReferralRequest/"
                                        "000000091234/$ers.cancelReferral");
        CHECK(cancel.idempotent);
        CHECK(header(cancel, "If-Match") == std::optional<std::string>("W/\"1\""));
        CHECK(header(cancel, "X-Correlation-ID") == std::optional<std::string>(id + "-cancel-1"));
        CHECK(header(cancel, "NHSD-eRS-Business-Function") ==
              std::optional<std::string>("REFERRING_CLINICIAN"));
        CHECK(cancel.body.find("patient moved away") != std::string::npos);
        f.ack(cancel, 200, cancelledJson("000000091234", "2"), "W/\"2\"");

        const auto done = f.request(id);
        CHECK(done.state == "cancelled");
        CHECK(done.version == "2");
        CHECK(f.steps(id) == std::vector<std::string>{"create:done:201", "cancel:done:200"});
        CHECK(f.store->activeErsRequests(10).empty());
        // Asking again changes nothing and sends nothing.
        auto again = f.service->cancel(id, "", "test");
        REQUIRE(again.ok());
        CHECK(again->state == "cancelled");
        CHECK(f.nothingQueued());
        CHECK(f.transport->sent.empty());
    }

    TEST_CASE(
        "a cancel refused for a lock re-reads and sends the same cancel with the new version" *
        doctest::test_suite("store-contract")) {
        Fixture f;
        const auto id = f.completed();
        REQUIRE(f.service->cancel(id, "duplicate referral", "test").ok());
        auto first = f.claim();
        f.fail(first, "http-423", 423, outcomeJson("LOCKED"));
        CHECK(f.request(id).state == "cancelling");

        auto reread = f.claim();
        CHECK(reread.record.interaction == "A005");
        f.ack(reread, 200, referralJson("000000091234", "3"), "W/\"3\"");

        auto second = f.claim();
        CHECK(second.record.interaction == "A036");
        CHECK(header(second, "If-Match") == std::optional<std::string>("W/\"3\""));
        CHECK(header(second, "X-Correlation-ID") == std::optional<std::string>(id + "-cancel-2"));
        CHECK(second.body == first.body); // the reason travels with the cancel
        f.ack(second, 200, cancelledJson("000000091234", "4"), "W/\"4\"");
        CHECK(f.request(id).state == "cancelled");
        CHECK(f.steps(id) == std::vector<std::string>{"create:done:201", "cancel:failed:http-423",
                                                      "reread:done:200", "cancel:done:200"});
    }

    TEST_CASE("INVALID_REQUEST_STATE on a cancel counts as done only when e-RS shows cancelled" *
              doctest::test_suite("store-contract")) {
        SUBCASE("already cancelled") {
            Fixture f;
            const auto id = f.completed();
            REQUIRE(f.service->cancel(id, "", "test").ok());
            f.fail(f.claim(), "INVALID_REQUEST_STATE", 422, outcomeJson("INVALID_REQUEST_STATE"));
            f.ack(f.claim(), 200, cancelledJson("000000091234", "2"), "W/\"2\"");
            CHECK(f.request(id).state == "cancelled");
            CHECK(f.store->ersStepsOf(id).back().text == "version 2, already cancelled");
            CHECK(f.nothingQueued());
        }
        SUBCASE("not cancelled: back to complete with the code") {
            Fixture f;
            const auto id = f.completed();
            REQUIRE(f.service->cancel(id, "", "test").ok());
            f.fail(f.claim(), "INVALID_REQUEST_STATE", 422, outcomeJson("INVALID_REQUEST_STATE"));
            f.ack(f.claim(), 200, referralJson("000000091234", "2"), "W/\"2\"");
            CHECK(f.request(id).state == "complete");
            CHECK(f.request(id).errorCode == "INVALID_REQUEST_STATE");
            CHECK(f.nothingQueued());
        }
    }

    TEST_CASE("a cancel e-RS refuses leaves the request complete and cancellable again" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto id = f.completed();
        REQUIRE(f.service->cancel(id, "", "test").ok());
        f.fail(f.claim(), "NO_ACCESS", 403, outcomeJson("NO_ACCESS"));
        CHECK(f.request(id).state == "complete");
        CHECK(f.request(id).errorCode == "NO_ACCESS");
        CHECK(f.request(id).errorText.find("was not cancelled") != std::string::npos);
        REQUIRE(f.service->cancel(id, "", "test").ok());
        CHECK(header(f.claim(), "X-Correlation-ID") ==
              std::optional<std::string>(id + "-cancel-2"));
        CHECK(f.request(id).errorCode.empty());
    }

    TEST_CASE("a cancel is refused without a UBRN, while in progress, after failing, or unknown" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto creating = f.refer({"10000001"});
        auto refused = f.service->cancel(creating, "", "test");
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().where == "state");
        CHECK(refused.error().message ==
              "e-RS has not created the referral yet (state creating); try again when it has");
        f.fail(f.claim(), "REFERENCE_NOT_FOUND", 422, outcomeJson("REFERENCE_NOT_FOUND"));
        refused = f.service->cancel(creating, "", "test");
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().where == "state");
        CHECK(refused.error().message == "the request failed; there is no referral to cancel here");

        const auto letter = f.dir.file("letter.pdf");
        writeFileAtomically(letter, "%PDF-1.4 letter");
        const auto uploading = f.refer({"10000001"}, letter.string());
        f.ack(f.claim(), 201, referralJson("000000091235", "1"), "W/\"1\"");
        refused = f.service->cancel(uploading, "", "test");
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().message ==
              "the request is still in progress (state uploading); try again when it is complete");

        refused = f.service->cancel("NO-SUCH-REQUEST", "", "test");
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().where == "requestId");
        refused = f.service->cancel(creating, std::string(501, 'x'), "test");
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().where == "reason");
    }

    TEST_CASE("a cancel of a referral found by a lookup reads its version first" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto id = f.refer({"10000001"});
        f.fail(f.claim(), "outcome-unknown");
        f.ack(f.claim(), 200,
              worklistJson({{"000000091234", id + "-create-1", formatIsoTime(f.clock.now())}}));
        REQUIRE(f.request(id).state == "complete");
        REQUIRE(f.request(id).version.empty());

        SUBCASE("the read works") {
            f.transport->answer(200, referralJson("000000091234", "2"), {{"ETag", "W/\"2\""}});
            auto queued = f.service->cancel(id, "", "test");
            REQUIRE(queued.ok());
            CHECK_FALSE(queued->failure.has_value());
            REQUIRE(f.transport->sent.size() == 1);
            CHECK(f.transport->sent[0].method == "GET");
            CHECK(f.transport->sent[0].url ==
                  "http://ers.test/referrals/FHIR/STU3/ReferralRequest/000000091234");
            CHECK(header(f.transport->sent[0], "Authorization") ==
                  std::optional<std::string>("Bearer secret-token"));
            CHECK(header(f.claim(), "If-Match") == std::optional<std::string>("W/\"2\""));
        }
        SUBCASE("e-RS is unavailable: nothing is queued and Retry-After is passed on") {
            f.transport->answer(503, outcomeJson("SERVICE_UNAVAILABLE"), {{"Retry-After", "7"}});
            auto answered = f.service->cancel(id, "", "test");
            REQUIRE(answered.ok());
            REQUIRE(answered->failure.has_value());
            CHECK(answered->failure->httpStatus == 503);
            CHECK(answered->failure->retryAfter == "7");
            CHECK(answered->failure->code == "SERVICE_UNAVAILABLE");
            CHECK(f.request(id).state == "complete");
            CHECK(f.nothingQueued());
        }
    }

    TEST_CASE("a service search asks e-RS with every required header and lists its services" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const auto entry = [](const std::string& id, const std::string& name) {
            return R"({"item": {"identifier": {"value": ")" + id +
                   R"("}, "extension": [{"url": "Extension-eRS-ServiceSummaryView-1", "extension":
                   [{"url": "serviceName", "valueString": ")" +
                   name + R"("}]}]}})";
        };
        f.transport->answer(200, R"({"resourceType": "List", "entry": [)" +
                                     entry("10000001", "Mock Cardiology Service 1") + "," +
                                     entry("10000006", "Mock Cardiology Service 6") + "]}");
        auto found = f.service->searchServices({kNhs, "CARDIOLOGY", "ROUTINE"});
        REQUIRE(found.ok());
        REQUIRE_FALSE(found->failure.has_value());
        REQUIRE(found->services.size() == 2);
        CHECK(found->services[1].id == "10000006");
        CHECK(found->services[1].name == "Mock Cardiology Service 6");

        REQUIRE(f.transport->sent.size() == 1);
        const auto& sent = f.transport->sent[0];
        CHECK(sent.method == "POST");
        CHECK(sent.url == "http://ers.test/referrals/FHIR/STU3/HealthcareService/"
                          "$ers.searchHealthcareServicesForPatient");
        CHECK(header(sent, "Authorization") == std::optional<std::string>("Bearer secret-token"));
        CHECK(header(sent, "NHSD-eRS-Business-Function") ==
              std::optional<std::string>("REFERRING_CLINICIAN"));
        CHECK(header(sent, "NHSD-End-User-Organisation-ODS") ==
              std::optional<std::string>("A83008"));
        CHECK(header(sent, "X-Correlation-ID").has_value());
        CHECK(header(sent, "Content-Type") == std::optional<std::string>("application/fhir+json"));
        CHECK(sent.body.find("CARDIOLOGY") != std::string::npos);
        CHECK(f.nothingQueued()); // a read: nothing goes through the outbox
    }

    TEST_CASE("a service search reports e-RS's refusal, its silence, and bad input" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        f.transport->answer(422, outcomeJson("INVALID_VALUE"));
        auto refused = f.service->searchServices({kNhs, "", "ROUTINE"});
        REQUIRE(refused.ok());
        REQUIRE(refused->failure.has_value());
        CHECK(refused->failure->httpStatus == 422);
        CHECK(refused->failure->code == "INVALID_VALUE");

        TransportResult timeout;
        timeout.failure = TransportResult::Failure::Timeout;
        f.transport->replies.push_back(timeout);
        auto silent = f.service->searchServices({kNhs, "", "ROUTINE"});
        REQUIRE(silent.ok());
        REQUIRE(silent->failure.has_value());
        CHECK(silent->failure->timedOut);
        CHECK(silent->failure->httpStatus == 0);

        auto bad = f.service->searchServices({kNhs, "cardiology!", "ROUTINE"});
        REQUIRE_FALSE(bad.ok());
        CHECK(bad.error().where == "specialty");
        bad = f.service->searchServices({kNhs, "", "SOON"});
        REQUIRE_FALSE(bad.ok());
        CHECK(bad.error().where == "priority");
        CHECK(f.transport->sent.size() == 2);
    }
}
