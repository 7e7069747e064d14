// The MHS front's request checks (docs/mhs-compat.md): the headers and body the NHS MHS
// adaptor's outbound API defines, and what gp-agent refuses of them.

#include "../../../agent/src/mhs/MhsRequest.hpp"

#include "SeededRandom.hpp"

#include <gp/agent/config/Settings.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <doctest/doctest.h>

#include <string>
#include <variant>

using namespace gp::agent::mhs;

namespace {

const std::string kPrescription =
    "<PORX_IN020101SM31 xmlns='urn:hl7-org:v3'><id root='A1'/></PORX_IN020101SM31>";

std::string bodyWith(const std::string& payload, const std::string& extra = "") {
    return "{\"payload\": \"" + payload + "\"" + extra + "}";
}

MhsHeaders asyncHeaders(std::string interaction = "PORX_IN020101SM31") {
    MhsHeaders headers;
    headers.interactionId = std::move(interaction);
    headers.waitForResponse = "false";
    return headers;
}

/// The refusal, failing the test when the request was accepted.
MhsRejection refusal(const MhsHeaders& headers, const std::string& body) {
    gp::test::SeededRandom random;
    auto read = readMhsRequest(headers, body, random);
    REQUIRE(std::holds_alternative<MhsRejection>(read));
    return std::get<MhsRejection>(read);
}

bool mentions(const MhsRejection& rejection, const std::string& what) {
    return rejection.message.find(what) != std::string::npos;
}

} // namespace

TEST_CASE("mhs request: a prescription with the caller's ids is accepted with them upper-cased") {
    auto headers = asyncHeaders();
    headers.messageId = "0b9c6a2e-1f4d-4c8e-9a3b-5d6e7f801234";
    headers.correlationId = "A1B2C3D4-0000-4000-8000-000000000001";
    gp::test::SeededRandom random;
    auto read = readMhsRequest(headers, bodyWith(kPrescription, ", \"attachments\": []"), random);
    REQUIRE(std::holds_alternative<MhsRequest>(read));
    const auto& request = std::get<MhsRequest>(read);
    CHECK(request.interaction->interactionId == "PORX_IN020101SM31");
    CHECK(request.messageId == "0B9C6A2E-1F4D-4C8E-9A3B-5D6E7F801234");
    CHECK(request.correlationId == "A1B2C3D4-0000-4000-8000-000000000001");
    CHECK(request.payload == kPrescription);
}

TEST_CASE("mhs request: ids the caller leaves out are new, distinct UUIDs") {
    gp::test::SeededRandom random;
    auto read = readMhsRequest(asyncHeaders(), bodyWith(kPrescription), random);
    REQUIRE(std::holds_alternative<MhsRequest>(read));
    const auto& request = std::get<MhsRequest>(read);
    CHECK(gp::messaging::ids::isUpperCaseUuid(request.messageId));
    CHECK(gp::messaging::ids::isUpperCaseUuid(request.correlationId));
    CHECK(request.messageId != request.correlationId);
}

TEST_CASE("mhs request: Interaction-Id is required and must be one gp-agent sends") {
    MhsHeaders missing = asyncHeaders();
    missing.interactionId.reset();
    const auto noInteraction = refusal(missing, bodyWith(kPrescription));
    CHECK(noInteraction.status == 400);
    CHECK(mentions(noInteraction, "Interaction-Id"));

    const auto unknown = refusal(asyncHeaders("QUPA_IN040000UK32"), bodyWith(kPrescription));
    CHECK(unknown.status == 404);
    CHECK(mentions(unknown, "Interaction-Id"));
    CHECK(mentions(unknown, "QUPA_IN040000UK32"));
    CHECK(findMhsInteraction("PORX_IN030101SM32") != nullptr);
}

TEST_CASE("mhs request: wait-for-response is required; true is refused as unsupported") {
    MhsHeaders missing = asyncHeaders();
    missing.waitForResponse.reset();
    const auto absent = refusal(missing, bodyWith(kPrescription));
    CHECK(absent.status == 400);
    CHECK(mentions(absent, "wait-for-response"));

    MhsHeaders sync = asyncHeaders();
    sync.waitForResponse = "true";
    const auto synchronous = refusal(sync, bodyWith(kPrescription));
    CHECK(synchronous.status == 400);
    CHECK(mentions(synchronous, "asynchronously"));

    MhsHeaders odd = asyncHeaders();
    odd.waitForResponse = "maybe";
    CHECK(mentions(refusal(odd, bodyWith(kPrescription)), "true or false"));
}

TEST_CASE("mhs request: ids that are not UUIDs are refused naming the header") {
    MhsHeaders headers = asyncHeaders();
    headers.messageId = "not-a-uuid";
    CHECK(mentions(refusal(headers, bodyWith(kPrescription)), "Message-Id"));
    headers = asyncHeaders();
    headers.correlationId = "42";
    CHECK(mentions(refusal(headers, bodyWith(kPrescription)), "Correlation-Id"));
}

TEST_CASE("mhs request: the payload must be well-formed XML rooted in the interaction") {
    CHECK(mentions(refusal(asyncHeaders(), "not json"), "JSON"));
    CHECK(mentions(refusal(asyncHeaders(), "{}"), "payload"));
    CHECK(mentions(refusal(asyncHeaders(), "{\"payload\": 7}"), "payload"));

    const auto malformed = refusal(asyncHeaders(), bodyWith("<PORX_IN020101SM31><id>"));
    CHECK(malformed.status == 400);
    CHECK(mentions(malformed, "field payload"));

    const auto doctype = refusal(
        asyncHeaders(),
        bodyWith("<!DOCTYPE x [<!ENTITY e 'boom'>]><PORX_IN020101SM31>&e;</PORX_IN020101SM31>"));
    CHECK(mentions(doctype, "field payload"));

    const auto wrongRoot = refusal(asyncHeaders("PORX_IN030101SM32"), bodyWith(kPrescription));
    CHECK(mentions(wrongRoot, "PORX_IN020101SM31"));
    CHECK(mentions(wrongRoot, "PORX_IN030101SM32"));
}

TEST_CASE("mhs request: attachments are refused naming the field") {
    const auto inline_ = refusal(
        asyncHeaders(),
        bodyWith(kPrescription, ", \"attachments\": [{\"content_type\": \"text/plain\", "
                                "\"is_base64\": false, \"description\": \"x\", \"payload\": "
                                "\"y\"}]"));
    CHECK(mentions(inline_, "field attachments"));
    const auto external =
        refusal(asyncHeaders(),
                bodyWith(kPrescription, ", \"external_attachments\": [{\"document_id\": \"1\"}]"));
    CHECK(mentions(external, "field external_attachments"));
}

TEST_CASE("mhs settings: the front is off by default and listens on loopback only") {
    Poco::AutoPtr<Poco::Util::MapConfiguration> config = new Poco::Util::MapConfiguration;
    config->setString("agent.odsCode", "A83008");
    config->setString("agent.partyKey", "A83008-9199121");
    config->setString("agent.asid", "200000001234");
    config->setString("test.allowPlainHttp", "true");
    auto loaded = gp::agent::loadSettings(*config);
    REQUIRE_MESSAGE(loaded.ok(), loaded.error().describe());
    CHECK_FALSE(loaded->settings.mhsEnabled);

    config->setString("mhs.enabled", "true");
    config->setString("mhs.bind", "0.0.0.0");
    loaded = gp::agent::loadSettings(*config);
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().where == "mhs.bind");

    config->setString("mhs.bind", "127.0.0.1");
    loaded = gp::agent::loadSettings(*config);
    REQUIRE_MESSAGE(loaded.ok(), loaded.error().describe());
    CHECK(loaded->settings.mhsEnabled);
}
