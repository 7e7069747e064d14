// The MHS-adaptor-compatible front (docs/mhs-compat.md) with the real gp-agent and spine-mock:
// an HL7 prescription POSTed as a system built for the NHS MHS adaptor would is queued, echoed
// and delivered once; what the adaptor's API refuses is refused the same way.

#include "ProcessHarness.hpp"
#include "SeededRandom.hpp"

#include <gp/agent/eps/PrescriptionRequest.hpp>
#include <gp/messaging/eps/ParentPrescription.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

using namespace gp::test;

namespace {

using Headers = std::map<std::string, std::string>;

struct MhsReply {
    int status = 0;
    std::string body;
    std::string messageId;
    std::string correlationId;
};

struct Setup {
    TempDir dir{"gp-mhs"};
    SpineMock mock{dir.path() / "mock"};
    std::unique_ptr<Agent> agent;
    int mhsPort = 0;

    Setup() {
        mock.start();
        agent = std::make_unique<Agent>(dir.path() / "agent", mock.baseUrl(),
                                        "mhs.enabled = true\nmhs.port = 0\n");
        agent->start();
        std::ifstream in(agent->stateDir() / "ports.json");
        std::stringstream text;
        text << in.rdbuf();
        mhsPort = parseJsonObject(text.str())->getValue<int>("mhs");
    }

    MhsReply post(const Headers& headers, const std::string& body) const {
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(mhsPort));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/",
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        for (const auto& [name, value] : headers) {
            request.set(name, value);
        }
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        MhsReply reply;
        reply.status = static_cast<int>(response.getStatus());
        Poco::StreamCopier::copyToString(in, reply.body);
        reply.messageId = response.get("Message-Id", "");
        reply.correlationId = response.get("Correlation-Id", "");
        return reply;
    }
};

/// Whether the outbox holds a message under this id.
bool inOutbox(const Agent& agent, const std::string& messageId) {
    return agent.api().get("/v1/messages/" + messageId).status == 200;
}

/// A ParentPrescription HL7 document, as a clinical system built for the adaptor would make it.
std::string prescriptionHl7(const std::string& messageId) {
    namespace eps = gp::messaging::eps;
    namespace ids = gp::messaging::ids;
    gp::test::SeededRandom random(7);
    auto request = gp::agent::readPrescriptionRequest(prescriptionJson());
    REQUIRE(request.errors.empty());
    auto& prescription = request.prescription;
    prescription.organisation.odsCode = "A83008";
    prescription.prescriptionId = ids::newPrescriptionId("A83008", random);
    prescription.prescriptionUuid = ids::newUuid(random);
    for (auto& item : prescription.items) {
        item.itemId = ids::newUuid(random);
    }
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    prescription.authoredOn = now;
    REQUIRE(eps::validate(prescription).empty());
    return eps::buildParentPrescription(prescription,
                                        {messageId, now, "200000001234", "990000000000"});
}

/// The body the adaptor's API takes: {"payload": "<escaped XML>"}.
std::string mhsBody(const std::string& payload) {
    std::string escaped;
    for (char c : payload) {
        switch (c) {
        case '"':
            escaped += "\\\"";
            break;
        case '\\':
            escaped += "\\\\";
            break;
        case '\n':
            escaped += "\\n";
            break;
        case '\r':
            escaped += "\\r";
            break;
        case '\t':
            escaped += "\\t";
            break;
        default:
            escaped += c;
        }
    }
    return "{\"payload\": \"" + escaped + "\"}";
}

Headers asyncHeaders(const std::string& messageId, const std::string& correlationId) {
    return {{"Interaction-Id", "PORX_IN020101SM31"},
            {"wait-for-response", "false"},
            {"Message-Id", messageId},
            {"Correlation-Id", correlationId},
            {"from-asid", "200000001234"},
            {"ods-code", "YES"}};
}

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("mhs front: a prescription is answered 202 with its ids and processed once") {
        Setup s;
        const std::string messageId = "6B1A5E0C-3D2F-4A8B-9C7D-0E1F2A3B4C5D";
        const std::string correlationId = "0F9E8D7C-6B5A-4938-8271-605F4E3D2C1B";
        const std::string body = mhsBody(prescriptionHl7(messageId));

        const auto reply = s.post(asyncHeaders(messageId, correlationId), body);
        REQUIRE_MESSAGE(reply.status == 202, reply.body);
        CHECK(reply.messageId == messageId);
        CHECK(reply.correlationId == correlationId);
        // Accepted means queued: the outbox knows it at once.
        CHECK(inOutbox(*s.agent, messageId));

        // The same Message-Id again is refused and never queued a second time.
        const auto again = s.post(asyncHeaders(messageId, correlationId), body);
        CHECK(again.status == 409);
        CHECK(again.body.find("Message-Id") != std::string::npos);

        REQUIRE(s.agent->waitForState(messageId, "acked"));
        CHECK(s.mock.journalCount(messageId, "processed") == 1);
        auto message = s.agent->message(messageId);
        CHECK(message->getValue<std::string>("interaction") == "PORX_IN020101SM31");
    }

    TEST_CASE("mhs front: ids left out are generated and echoed") {
        Setup s;
        Headers headers = {{"Interaction-Id", "PORX_IN020101SM31"}, {"wait-for-response", "false"}};
        // The HL7 id is the caller's business; the ebXML MessageId is the one echoed.
        const auto reply =
            s.post(headers, mhsBody(prescriptionHl7("11111111-2222-4333-8444-555555555555")));
        REQUIRE_MESSAGE(reply.status == 202, reply.body);
        CHECK(gp::messaging::ids::isUpperCaseUuid(reply.messageId));
        CHECK(gp::messaging::ids::isUpperCaseUuid(reply.correlationId));
        CHECK(inOutbox(*s.agent, reply.messageId));
    }

    TEST_CASE("mhs front: requests the adaptor's API refuses are refused, naming what is wrong") {
        Setup s;
        const std::string messageId = "7C2B6F1D-4E30-4B9C-8D8E-1F203B4C5D6E";
        const std::string body = mhsBody(prescriptionHl7(messageId));
        Headers headers = asyncHeaders(messageId, "1A2B3C4D-5E6F-4A0B-8C1D-2E3F4A5B6C7D");

        Headers noInteraction = headers;
        noInteraction.erase("Interaction-Id");
        auto reply = s.post(noInteraction, body);
        CHECK(reply.status == 400);
        CHECK(reply.body.find("Interaction-Id") != std::string::npos);

        Headers unknown = headers;
        unknown["Interaction-Id"] = "QUPA_IN040000UK32";
        reply = s.post(unknown, body);
        CHECK(reply.status == 404);
        CHECK(reply.body.find("Interaction-Id") != std::string::npos);

        Headers noWait = headers;
        noWait.erase("wait-for-response");
        reply = s.post(noWait, body);
        CHECK(reply.status == 400);
        CHECK(reply.body.find("wait-for-response") != std::string::npos);

        reply = s.post(headers, mhsBody("<PORX_IN020101SM31><unclosed>"));
        CHECK(reply.status == 400);
        CHECK(reply.body.find("payload") != std::string::npos);

        // None of the refusals queued anything under the Message-Id.
        CHECK_FALSE(inOutbox(*s.agent, messageId));
    }
}
