// e-Referrals end to end with real processes: gp-agent makes referrals in spine-mock's e-RS, with
// a letter attached, through throttling and a lost reply, and never makes one twice.

#include "ProcessHarness.hpp"

#include <gp/agent/Files.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <doctest/doctest.h>

#include <regex>
#include <set>
#include <string>
#include <vector>

using namespace gp::test;

namespace {

const std::string kNhsNumber = "9449304130";
const std::string kServiceA = "10000001";
const std::string kServiceB = "10000002";

struct Setup {
    TempDir dir{"gp-ers"};
    SpineMock mock;
    std::unique_ptr<Agent> agent;

    explicit Setup(const std::string& mockConfig = "") : mock(dir.path() / "mock", mockConfig) {
        mock.start();
        const auto tokenFile = dir.path() / "ers-token";
        gp::agent::writeFileAtomically(tokenFile, "test-ers-token\n", 0600);
        agent = std::make_unique<Agent>(dir.path() / "agent", mock.baseUrl(),
                                        "ers.url = " + mock.baseUrl() +
                                            "/referrals/FHIR/STU3\n"
                                            "ers.tokenFile = " +
                                            tokenFile.string() + "\n");
        agent->start();
    }

    std::filesystem::path letter(const std::string& name, std::size_t bytes) const {
        const auto file = dir.path() / name;
        std::string content = "%PDF-1.4\n";
        content.resize(bytes, 'x');
        gp::agent::writeFileAtomically(file, content);
        return file;
    }

    std::string refer(const std::vector<std::string>& services,
                      const std::filesystem::path& letter = {}) const {
        Poco::JSON::Object body;
        body.set("nhsNumber", kNhsNumber);
        Poco::JSON::Array::Ptr ids = new Poco::JSON::Array;
        for (const auto& id : services) {
            ids->add(id);
        }
        body.set("serviceIds", ids);
        if (!letter.empty()) {
            body.set("letterFile", letter.string());
            body.set("letterContentType", "application/pdf");
        }
        std::ostringstream json;
        body.stringify(json);
        auto reply = agent->api().post("/v1/ers/referrals", json.str());
        REQUIRE_MESSAGE(reply.status == 202, reply.body);
        return parseJsonObject(reply.body)->getValue<std::string>("requestId");
    }

    Poco::JSON::Object::Ptr request(const std::string& requestId) const {
        auto reply = agent->api().get("/v1/ers/referrals/" + requestId);
        REQUIRE_MESSAGE(reply.status == 200, reply.body);
        return parseJsonObject(reply.body);
    }

    /// Waits until the request is complete or failed; returns its final view.
    Poco::JSON::Object::Ptr settle(const std::string& requestId,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(40)) {
        Poco::JSON::Object::Ptr last;
        waitUntil(
            [&] {
                last = request(requestId);
                const auto state = last->getValue<std::string>("state");
                return state == "complete" || state == "failed";
            },
            timeout);
        return last;
    }

    /// The referrals spine-mock's e-RS holds (GET /_admin/ers/referrals).
    std::vector<Poco::JSON::Object::Ptr> mockReferrals() const {
        gp::agent::ApiClient admin("127.0.0.1", mock.port(), "unused");
        auto reply = admin.get("/_admin/ers/referrals");
        REQUIRE(reply.status == 200);
        Poco::JSON::Parser parser;
        auto array = parser.parse(reply.body).extract<Poco::JSON::Array::Ptr>();
        std::vector<Poco::JSON::Object::Ptr> out;
        for (std::size_t i = 0; i < array->size(); ++i) {
            out.push_back(array->getObject(static_cast<unsigned>(i)));
        }
        return out;
    }
};

std::vector<std::string> stepNames(const Poco::JSON::Object::Ptr& request) {
    std::vector<std::string> names;
    auto steps = request->getArray("steps");
    for (std::size_t i = 0; i < steps->size(); ++i) {
        auto step = steps->getObject(static_cast<unsigned>(i));
        names.push_back(step->getValue<std::string>("step") + ":" +
                        step->getValue<std::string>("state"));
    }
    return names;
}

std::string textOrEmpty(const Poco::JSON::Object::Ptr& object, const std::string& key) {
    return object->has(key) && !object->isNull(key) ? object->getValue<std::string>(key) : "";
}

bool isUbrn(const std::string& text) {
    return std::regex_match(text, std::regex("[0-9]{12}"));
}

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("e-RS: gp-agentctl makes a referral with a letter and it ends attached") {
        Setup s;
        const auto letter = s.letter("referral-letter.pdf", 20000);
        auto refer = runAgentCtl(
            s.agent->configFile(),
            {"ers", "refer", kNhsNumber, kServiceA + "," + kServiceB, "--letter", letter.string()});
        REQUIRE_MESSAGE(refer.exitCode == 0, refer.output);
        std::smatch match;
        REQUIRE(std::regex_search(refer.output, match, std::regex("e-RS request ([0-9A-F-]{36})")));
        const std::string requestId = match[1];

        auto done = s.settle(requestId);
        REQUIRE_MESSAGE(done->getValue<std::string>("state") == "complete",
                        textOrEmpty(done, "errorText"));
        const std::string ubrn = done->getValue<std::string>("ubrn");
        CHECK(isUbrn(ubrn));
        CHECK(done->getValue<bool>("letterAttached"));
        CHECK(stepNames(done) ==
              std::vector<std::string>{"create:done", "upload:done", "attach:done"});

        // e-RS holds exactly this referral, for both services, with one letter, created under
        // the request's own correlation id.
        auto referrals = s.mockReferrals();
        REQUIRE(referrals.size() == 1);
        CHECK(referrals[0]->getValue<std::string>("ubrn") == ubrn);
        CHECK(referrals[0]->getValue<std::string>("correlationId") == requestId + "-create-1");
        CHECK(referrals[0]->getArray("services")->size() == 2);
        CHECK(referrals[0]->getArray("attachments")->size() == 1);
        CHECK(referrals[0]->getValue<int>("version") == 2);

        auto show = runAgentCtl(s.agent->configFile(), {"ers", "show", requestId});
        CHECK(show.exitCode == 0);
        CHECK(show.output.find(ubrn) != std::string::npos);
        CHECK(show.output.find("attached") != std::string::npos);
    }

    TEST_CASE("e-RS: a 429 storm ends with every referral created once") {
        Setup s("mock.ers.rateLimit = 2\n");
        std::vector<std::string> requests;
        for (int i = 0; i < 10; ++i) {
            requests.push_back(s.refer({i % 2 == 0 ? kServiceA : kServiceB}));
        }
        std::set<std::string> ubrns;
        int throttled = 0;
        for (const auto& requestId : requests) {
            auto done = s.settle(requestId, std::chrono::seconds(60));
            REQUIRE_MESSAGE(done->getValue<std::string>("state") == "complete",
                            textOrEmpty(done, "errorText"));
            ubrns.insert(done->getValue<std::string>("ubrn"));
            // Each create went out under one correlation id, however often it was throttled.
            CHECK(s.mock.journalCount(requestId + "-create-1", "processed") == 1);
            throttled += s.mock.journalCount(requestId + "-create-1", "rejected");
        }
        CHECK(ubrns.size() == 10);
        CHECK(throttled > 0); // the storm really happened
        auto referrals = s.mockReferrals();
        CHECK(referrals.size() == 10);
        std::set<std::string> correlations;
        for (const auto& referral : referrals) {
            correlations.insert(referral->getValue<std::string>("correlationId"));
        }
        CHECK(correlations.size() == 10);
    }

    TEST_CASE("e-RS: a create whose reply was lost is looked up, not made twice") {
        Setup s;
        s.mock.injectFault(
            R"({"interaction": "A011", "times": 1, "fault": {"type": "resetAfterProcessing"}})");
        const auto letter = s.letter("letter.pdf", 1000);
        const auto requestId = s.refer({kServiceA}, letter);

        auto done = s.settle(requestId);
        REQUIRE_MESSAGE(done->getValue<std::string>("state") == "complete",
                        textOrEmpty(done, "errorText"));
        auto referrals = s.mockReferrals();
        REQUIRE(referrals.size() == 1); // exactly one referral exists at e-RS
        CHECK(done->getValue<std::string>("ubrn") == referrals[0]->getValue<std::string>("ubrn"));
        CHECK(referrals[0]->getArray("attachments")->size() == 1);
        // The lost create was never re-sent: the worklist said the referral existed.
        CHECK(stepNames(done) == std::vector<std::string>{"create:failed", "lookup:done",
                                                          "upload:done", "reread:done",
                                                          "attach:done"});
        auto first = done->getArray("steps")->getObject(0);
        CHECK(first->getValue<std::string>("code") == "outcome-unknown");
        CHECK(done->getArray("steps")->getObject(1)->getValue<std::string>("code") == "found");
    }

    TEST_CASE("e-RS: a request half done when the agent is killed completes after a restart") {
        Setup s;
        // The upload is held back (503, then a Retry-After) long enough to kill the agent.
        s.mock.injectFault(
            R"({"interaction": "A020", "times": 1, "fault": {"type": "http", "status": 503, "retryAfter": 2}})");
        const auto letter = s.letter("letter.pdf", 1000);
        const auto requestId = s.refer({kServiceA}, letter);
        REQUIRE(
            waitUntil([&] { return s.mock.journalCount(requestId + "-upload-1", "fault") == 1; }));
        s.agent->kill9();
        s.agent->start();

        auto done = s.settle(requestId);
        REQUIRE_MESSAGE(done->getValue<std::string>("state") == "complete",
                        textOrEmpty(done, "errorText"));
        auto referrals = s.mockReferrals();
        REQUIRE(referrals.size() == 1);
        CHECK(referrals[0]->getArray("attachments")->size() == 1);
        CHECK(stepNames(done) ==
              std::vector<std::string>{"create:done", "upload:done", "attach:done"});
    }

    TEST_CASE("e-RS: a 422 for an unknown service fails the request with e-RS's code") {
        Setup s;
        const auto requestId = s.refer({"99999999"});
        auto done = s.settle(requestId);
        CHECK(done->getValue<std::string>("state") == "failed");
        CHECK(done->getValue<std::string>("errorCode") == "REFERENCE_NOT_FOUND");
        CHECK(textOrEmpty(done, "errorText").find("check the ids") != std::string::npos);
        CHECK(textOrEmpty(done, "ubrn").empty());
        CHECK(s.mockReferrals().empty());

        auto show = runAgentCtl(s.agent->configFile(), {"ers", "show", requestId});
        CHECK(show.exitCode == 1);
        CHECK(show.output.find("REFERENCE_NOT_FOUND") != std::string::npos);
    }

    TEST_CASE("e-RS: bad input is refused with the field named and nothing stored") {
        Setup s;
        auto reply = s.agent->api().post("/v1/ers/referrals",
                                         R"({"nhsNumber": "9449304131", "serviceIds": []})");
        CHECK(reply.status == 400);
        CHECK(reply.body.find("nhsNumber") != std::string::npos);

        std::string many = "[";
        for (int i = 0; i < 21; ++i) {
            many += (i ? ",\"" : "\"") + std::to_string(10000001 + i) + "\"";
        }
        many += "]";
        reply = s.agent->api().post("/v1/ers/referrals",
                                    R"({"nhsNumber": "9449304130", "serviceIds": )" + many + "}");
        CHECK(reply.status == 400);
        CHECK(reply.body.find("must list 1 to 20 services, not 21") != std::string::npos);

        const auto big = s.letter("big.pdf", 5 * 1024 * 1024 + 1);
        reply = s.agent->api().post("/v1/ers/referrals",
                                    R"({"nhsNumber": "9449304130", "serviceIds": ["10000001"],
                                        "letterFile": ")" +
                                        big.string() + "\"}");
        CHECK(reply.status == 400);
        CHECK(reply.body.find("letterFile") != std::string::npos);
        CHECK(s.mockReferrals().empty());
        CHECK(s.agent->api().get("/v1/ers/referrals/NOPE").status == 404);
    }

    TEST_CASE("e-RS: a letter refused while the referral is locked is attached after a re-read") {
        Setup s;
        // Every attach waits on the upload, so the lock is placed while the upload is held up.
        s.mock.injectFault(
            R"({"interaction": "A020", "times": 1, "fault": {"type": "delay", "ms": 1500}})");
        const auto letter = s.letter("letter.pdf", 1000);
        const auto requestId = s.refer({kServiceA}, letter);
        std::string ubrn;
        REQUIRE(waitUntil([&] {
            ubrn = textOrEmpty(s.request(requestId), "ubrn");
            return !ubrn.empty();
        }));
        auto locked =
            s.mock.post("/_admin/ers/lock", R"({"ubrn": ")" + ubrn + R"(", "requests": 2})",
                        {{"Content-Type", "application/json"}});
        REQUIRE_MESSAGE(locked.status / 100 == 2, locked.body);

        auto done = s.settle(requestId);
        REQUIRE_MESSAGE(done->getValue<std::string>("state") == "complete",
                        textOrEmpty(done, "errorText"));
        CHECK(stepNames(done) ==
              std::vector<std::string>{"create:done", "upload:done", "attach:failed", "reread:done",
                                       "attach:failed", "reread:done", "attach:done"});
        CHECK(done->getArray("steps")->getObject(2)->getValue<std::string>("code") == "http-423");
        CHECK(s.mockReferrals()[0]->getArray("attachments")->size() == 1);
    }

    TEST_CASE("e-RS: a service search lists the services spine-mock offers") {
        Setup s;
        auto reply = s.agent->api().post(
            "/v1/ers/services/search", R"({"nhsNumber": "9449304130", "specialty": "CARDIOLOGY"})");
        REQUIRE_MESSAGE(reply.status == 200, reply.body);
        auto services = parseJsonObject(reply.body)->getArray("services");
        REQUIRE(services);
        std::vector<std::string> ids;
        for (std::size_t i = 0; i < services->size(); ++i) {
            ids.push_back(
                services->getObject(static_cast<unsigned>(i))->getValue<std::string>("id"));
        }
        CHECK(ids ==
              std::vector<std::string>{"10000001", "10000006", "10000011", "10000016", "10000021"});
        CHECK(services->getObject(0)->getValue<std::string>("name") == "Mock Cardiology Service 1");

        auto search = runAgentCtl(s.agent->configFile(),
                                  {"ers", "search", kNhsNumber, "--specialty", "DERMATOLOGY"});
        REQUIRE_MESSAGE(search.exitCode == 0, search.output);
        CHECK(search.output.find("10000002  Mock Dermatology Service 2") != std::string::npos);

        s.mock.injectFault(
            R"({"interaction": "A010", "times": 1, "fault": {"type": "http", "status": 503, "retryAfter": 7}})");
        reply = s.agent->api().post("/v1/ers/services/search", R"({"nhsNumber": "9449304130"})");
        CHECK(reply.status == 503);
        CHECK(reply.body.find("SERVICE_UNAVAILABLE") != std::string::npos);
        CHECK(s.mockReferrals().empty());
    }

    TEST_CASE("e-RS: a referral cancelled through gp-agentctl ends cancelled at e-RS") {
        Setup s;
        const auto requestId = s.refer({kServiceA});
        auto done = s.settle(requestId);
        REQUIRE_MESSAGE(done->getValue<std::string>("state") == "complete",
                        textOrEmpty(done, "errorText"));

        auto cancel =
            runAgentCtl(s.agent->configFile(), {"ers", "cancel", requestId, "no longer required"});
        REQUIRE_MESSAGE(cancel.exitCode == 0, cancel.output);
        CHECK(cancel.output.find("cancelling") != std::string::npos);
        Poco::JSON::Object::Ptr last;
        REQUIRE(waitUntil([&] {
            last = s.request(requestId);
            return last->getValue<std::string>("state") == "cancelled";
        }));
        CHECK(stepNames(last) == std::vector<std::string>{"create:done", "cancel:done"});
        auto referrals = s.mockReferrals();
        REQUIRE(referrals.size() == 1);
        CHECK(referrals[0]->getValue<std::string>("status") == "cancelled");
        CHECK(referrals[0]->getValue<int>("version") == 2);

        // Cancelling again answers at once and sends nothing more.
        auto again = s.agent->api().post("/v1/ers/referrals/" + requestId + "/cancel", "{}");
        CHECK(again.status == 202);
        CHECK(again.body.find("\"cancelled\"") != std::string::npos);
        CHECK(s.mockReferrals()[0]->getValue<int>("version") == 2);
        CHECK(s.agent->api().post("/v1/ers/referrals/NOPE/cancel", "{}").status == 404);
    }

    TEST_CASE("e-RS: a cancel refused while the referral is locked is sent again after a re-read") {
        Setup s;
        const auto requestId = s.refer({kServiceA});
        auto done = s.settle(requestId);
        REQUIRE(done->getValue<std::string>("state") == "complete");
        const std::string ubrn = done->getValue<std::string>("ubrn");
        auto locked =
            s.mock.post("/_admin/ers/lock", R"({"ubrn": ")" + ubrn + R"(", "requests": 1})",
                        {{"Content-Type", "application/json"}});
        REQUIRE_MESSAGE(locked.status / 100 == 2, locked.body);

        auto reply = s.agent->api().post("/v1/ers/referrals/" + requestId + "/cancel",
                                         R"({"reason": "duplicate"})");
        REQUIRE_MESSAGE(reply.status == 202, reply.body);
        Poco::JSON::Object::Ptr last;
        REQUIRE(waitUntil([&] {
            last = s.request(requestId);
            const auto state = last->getValue<std::string>("state");
            return state == "cancelled" || state == "complete";
        }));
        REQUIRE_MESSAGE(last->getValue<std::string>("state") == "cancelled",
                        textOrEmpty(last, "errorText"));
        CHECK(stepNames(last) == std::vector<std::string>{"create:done", "cancel:failed",
                                                          "reread:done", "cancel:done"});
        CHECK(last->getArray("steps")->getObject(1)->getValue<std::string>("code") == "http-423");
        CHECK(s.mockReferrals()[0]->getValue<std::string>("status") == "cancelled");
    }

    TEST_CASE("e-RS: a cancel before the referral exists is refused with 409") {
        Setup s;
        s.mock.injectFault(
            R"({"interaction": "A011", "times": 1, "fault": {"type": "delay", "ms": 1500}})");
        const auto requestId = s.refer({kServiceA});
        auto reply = s.agent->api().post("/v1/ers/referrals/" + requestId + "/cancel", "{}");
        CHECK(reply.status == 409);
        CHECK(reply.body.find("has not created the referral yet") != std::string::npos);
    }

    TEST_CASE("e-RS: an agent killed while its create is in flight makes the referral once") {
        // Found by the crash campaign (tests/chaos): after a restart the interrupted create was
        // sent again under the same correlation id, and e-RS made a second referral.
        Setup s;
        s.mock.injectFault(
            R"({"interaction": "A011", "times": 1, "fault": {"type": "delay", "ms": 2000}})");
        const auto requestId = s.refer({kServiceA});
        const auto mockLog = s.mock.stateDir() / "spine-mock.log";
        REQUIRE(waitUntil([&] {
            return gp::agent::readWholeFile(mockLog).find("injected delay of 2000 ms for e-RS "
                                                          "A011") != std::string::npos;
        }));
        s.agent->kill9(); // the create is at e-RS, its reply not yet back
        REQUIRE(waitUntil([&] { return s.mockReferrals().size() == 1; }));

        s.agent->start();
        auto done = s.settle(requestId);
        REQUIRE_MESSAGE(done->getValue<std::string>("state") == "complete",
                        textOrEmpty(done, "errorText"));
        const auto referrals = s.mockReferrals();
        REQUIRE(referrals.size() == 1);
        CHECK(done->getValue<std::string>("ubrn") == referrals[0]->getValue<std::string>("ubrn"));
        CHECK(s.mock.journalCount(requestId + "-create-1", "processed") == 1);
        const auto names = stepNames(done);
        REQUIRE(names.size() >= 2);
        CHECK(names[0] == "create:failed");
        CHECK(names[1] == "lookup:done");
        auto create = s.agent->message(
            done->getArray("steps")->getObject(0)->getValue<std::string>("messageId"));
        CHECK(create->getObject("lastError")->getValue<std::string>("code") == "outcome-unknown");
    }
}
