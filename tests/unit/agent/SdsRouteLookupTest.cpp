#include "TestDoubles.hpp"

#include <gp/agent/routing/RouteLookup.hpp>
#include <gp/agent/transport/HttpTransport.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

using namespace gp;
using namespace gp::agent;
using namespace std::chrono_literals;

namespace {

constexpr const char* kInteraction = "urn:nhs:names:services:gp2gp:RCMR_IN010000UK05";

constexpr const char* kAnswer = R"({"odsCode": "B86041",
  "interaction": "urn:nhs:names:services:gp2gp:RCMR_IN010000UK05",
  "partyKey": "B86041-822103", "asid": "200000001161",
  "endpoint": "https://127.0.0.1:7680/reliablemessaging/forwardreliable",
  "cpaId": "S2036482A2160104", "retries": 3, "retryInterval": "PT2M",
  "persistDuration": "PT4H10M", "duplicateElimination": "always", "ackRequested": "never",
  "syncReplyMode": "None", "actor": "urn:oasis:names:tc:ebxml-msg:actor:nextMSH"})";

/// Answers from a script and records every request.
struct ScriptedState {
    std::deque<TransportResult> answers;
    std::vector<HttpRequest> requests;
};

class ScriptedTransport final : public HttpTransport {
public:
    explicit ScriptedTransport(ScriptedState& state) : m_state(state) {}
    TransportResult send(const HttpRequest& request) override {
        m_state.requests.push_back(request);
        REQUIRE_FALSE(m_state.answers.empty());
        TransportResult result = m_state.answers.front();
        m_state.answers.pop_front();
        return result;
    }

private:
    ScriptedState& m_state;
};

TransportResult reply(int status, const std::string& body) {
    TransportResult result;
    result.response = HttpResponse{status, {{"Content-Type", "application/json"}}, body};
    return result;
}

struct LookupFixture {
    test::ManualClock clock;
    ScriptedState script;
    std::unique_ptr<RouteLookup> lookup = makeSdsRouteLookup(
        "http://127.0.0.1:7680/", 15min, clock, std::make_unique<ScriptedTransport>(script));
};

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("a route is read from the directory's answer") {
        LookupFixture f;
        f.script.answers.push_back(reply(200, kAnswer));
        const Result<Route> route = f.lookup->lookup("B86041", kInteraction);
        REQUIRE(route.ok());
        CHECK(route->odsCode == "B86041");
        CHECK(route->serviceInteraction == kInteraction);
        CHECK(route->partyKey == "B86041-822103");
        CHECK(route->asid == "200000001161");
        CHECK(route->endpoint == "https://127.0.0.1:7680/reliablemessaging/forwardreliable");
        CHECK(route->cpaId == "S2036482A2160104");
        CHECK(route->retries == 3);
        CHECK(route->retryInterval == 2min);
        CHECK(route->persistDuration == 4h + 10min);
        CHECK(route->duplicateElimination);
        CHECK_FALSE(route->ackRequested);
        CHECK(route->syncReplyMode == "None");
        CHECK(route->actor == "urn:oasis:names:tc:ebxml-msg:actor:nextMSH");

        REQUIRE(f.script.requests.size() == 1);
        const HttpRequest& request = f.script.requests[0];
        CHECK(request.method == "GET");
        CHECK(request.body.empty());
        CHECK(request.url == "http://127.0.0.1:7680/routing?odsCode=B86041&interaction="
                             "urn%3Anhs%3Anames%3Aservices%3Agp2gp%3ARCMR_IN010000UK05");
    }

    TEST_CASE("a route is cached for its time to live and asked for again after it") {
        LookupFixture f;
        f.script.answers.push_back(reply(200, kAnswer));
        REQUIRE(f.lookup->lookup("B86041", kInteraction).ok());
        f.clock.advance(15min - 1ms);
        REQUIRE(f.lookup->lookup("B86041", kInteraction).ok());
        CHECK(f.script.requests.size() == 1);

        // Another interaction of the same practice is another entry.
        f.script.answers.push_back(reply(200, kAnswer));
        REQUIRE(f.lookup->lookup("B86041", "urn:nhs:names:services:gp2gp:COPC_IN000001UK01").ok());
        CHECK(f.script.requests.size() == 2);

        f.clock.advance(1ms);
        f.script.answers.push_back(
            reply(200, std::string(kAnswer).replace(std::string(kAnswer).find("B86041-822103"), 13,
                                                    "B86041-999999")));
        const Result<Route> refreshed = f.lookup->lookup("B86041", kInteraction);
        REQUIRE(refreshed.ok());
        CHECK(refreshed->partyKey == "B86041-999999");
        CHECK(f.script.requests.size() == 3);
    }

    TEST_CASE("an unknown route is an error and is not cached") {
        LookupFixture f;
        f.script.answers.push_back(reply(404, R"({"errors": [{"code": "not-found"}]})"));
        const Result<Route> missing = f.lookup->lookup("Z99999", kInteraction);
        REQUIRE_FALSE(missing.ok());
        CHECK(missing.error().where == "sds");
        CHECK(missing.error().message ==
              "no route for Z99999 urn:nhs:names:services:gp2gp:RCMR_IN010000UK05");

        f.script.answers.push_back(reply(200, kAnswer));
        CHECK(f.lookup->lookup("Z99999", kInteraction).ok());
        CHECK(f.script.requests.size() == 2);
    }

    TEST_CASE("a bad answer is an error naming the field") {
        LookupFixture f;
        const auto fails = [&](const std::string& body, int status = 200) {
            f.script.answers.push_back(reply(status, body));
            const Result<Route> route = f.lookup->lookup("B86041", kInteraction);
            REQUIRE_FALSE(route.ok());
            return route.error();
        };
        CHECK(fails("not json").where == "sds");
        CHECK(fails("[1, 2]").message == "the route answer is not a JSON object");
        CHECK(fails(R"({"endpoint": "https://x"})").where == "sds.partyKey");
        CHECK(fails(R"({"partyKey": "K", "endpoint": 7})").where == "sds.endpoint");
        const Error interval =
            fails(R"({"partyKey": "K", "endpoint": "https://x", "retryInterval": "soon"})");
        CHECK(interval.where == "sds.retryInterval");
        CHECK(interval.message ==
              "must be an ISO 8601 duration such as PT5M or PT0.5S, not 'soon'");
        CHECK(fails(R"({"partyKey": "K", "endpoint": "https://x", "retries": "two"})").where ==
              "sds.retries");
        CHECK(
            fails(R"({"partyKey": "K", "endpoint": "https://x", "ackRequested": "maybe"})").where ==
            "sds.ackRequested");
        const Error server = fails("{}", 500);
        CHECK(server.message == "route lookup answered HTTP 500");

        TransportResult refused;
        refused.failure = TransportResult::Failure::ConnectFailed;
        refused.failureText = "Couldn't connect to server";
        f.script.answers.push_back(refused);
        const Result<Route> down = f.lookup->lookup("B86041", kInteraction);
        REQUIRE_FALSE(down.ok());
        CHECK(down.error().message == "route lookup failed: Couldn't connect to server");
        CHECK(f.script.requests.size() == 9); // nothing was cached
    }

    TEST_CASE("fields the directory leaves out take the usual defaults") {
        LookupFixture f;
        f.script.answers.push_back(reply(200, R"({"partyKey": "K", "endpoint": "https://x"})"));
        const Result<Route> route = f.lookup->lookup("B86041", kInteraction);
        REQUIRE(route.ok());
        CHECK(route->retries == 2);
        CHECK(route->retryInterval == 1min);
        CHECK(route->persistDuration == 5min);
        CHECK(route->duplicateElimination);
        CHECK(route->ackRequested);
    }

} // TEST_SUITE
