#include "Golden.hpp"

#include <gp/messaging/hl7/ApplicationAck.hpp>
#include <gp/messaging/xml/SafeXml.hpp>

#include <doctest/doctest.h>

using namespace gp::messaging::hl7;
using gp::messaging::xml::parse;

using gp::test::checkGolden;
using gp::test::readGolden;

namespace {

constexpr const char* kAckId = "9A4E21C7-5B3D-4F60-8E1A-2C7D9B0F3E15";
constexpr const char* kRefId = "46183ABC-9FAD-4673-85DB-CE2CB6614732";

ApplicationAckSpec sampleSpec(AckTypeCode type, std::vector<AckDetail> details = {}) {
    using namespace std::chrono;
    ApplicationAckSpec spec;
    spec.messageId = kAckId;
    spec.creationTime = sys_days{year{2026} / 3 / 15} + hours{6} + minutes{51} + seconds{8};
    spec.typeCode = type;
    spec.messageRef = kRefId;
    spec.details = std::move(details);
    spec.fromAsid = "567456789789";
    spec.toAsid = "200000001285";
    return spec;
}

// doctest finds hl7::toString by argument lookup and cannot use it to print an AckTypeCode, so
// tests compare type codes as text.
std::string typeOf(const ApplicationAck& ack) {
    return std::string(toString(ack.typeCode));
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE_MESSAGE(at != std::string::npos, "test text lacks " << from);
    return text.replace(at, from.size(), to);
}

} // namespace

TEST_SUITE("messaging") {

    TEST_CASE("ack type codes print as HL7 spells them") {
        CHECK(std::string(toString(AckTypeCode::AA)) == "AA");
        CHECK(std::string(toString(AckTypeCode::AE)) == "AE");
        CHECK(std::string(toString(AckTypeCode::AR)) == "AR");
    }

    TEST_CASE("a positive ack round-trips with no details") {
        const std::string built = buildApplicationAck(sampleSpec(AckTypeCode::AA));
        const auto ack = parseApplicationAck(built);
        REQUIRE(ack.ok());
        CHECK(typeOf(*ack) == "AA");
        CHECK(ack->messageId == kAckId);
        CHECK(ack->messageRef == kRefId);
        CHECK(ack->details.empty());

        const auto doc = parse(built);
        REQUIRE(doc.ok());
        CHECK(doc->rootName() == "MCCI_IN010000UK13");
        CHECK(doc->rootNamespace() == "urn:hl7-org:v3");
        CHECK(doc->text("/hl7:MCCI_IN010000UK13/hl7:creationTime/@value") == "20260315065108");
        CHECK(doc->text("/hl7:MCCI_IN010000UK13/hl7:interactionId/@extension") ==
              "MCCI_IN010000UK13");
        CHECK(doc->text("//hl7:communicationFunctionRcv/hl7:device/hl7:id/@extension") ==
              "200000001285");
        CHECK(doc->text("//hl7:communicationFunctionSnd/hl7:device/hl7:id/@extension") ==
              "567456789789");
        CHECK(doc->count("//hl7:reason") == 0);
        CHECK(doc->count("//hl7:acknowledgementDetail") == 0);
    }

    TEST_CASE("an AE ack carries its codes as detected issues on the ControlActEvent") {
        const std::string built = buildApplicationAck(
            sampleSpec(AckTypeCode::AE, {AckDetail{"0002", "Duplicate prescription ID", ""}}));
        checkGolden("hl7_application_ack_ae.xml", built);

        const auto doc = parse(built);
        REQUIRE(doc.ok());
        CHECK(doc->text("/hl7:MCCI_IN010000UK13/hl7:ControlActEvent/hl7:reason/"
                        "hl7:justifyingDetectedIssueEvent/hl7:code/@codeSystem") ==
              "2.16.840.1.113883.2.1.3.2.4.17.42");
        CHECK(doc->count("//hl7:acknowledgementDetail") == 0);

        const auto ack = parseApplicationAck(built);
        REQUIRE(ack.ok());
        CHECK(typeOf(*ack) == "AE");
        CHECK(ack->messageRef == kRefId);
        REQUIRE(ack->details.size() == 1);
        CHECK(ack->details[0].code == "0002");
        CHECK(ack->details[0].displayName == "Duplicate prescription ID");
        CHECK(ack->details[0].codeSystem == "2.16.840.1.113883.2.1.3.2.4.17.42");
    }

    TEST_CASE("an AR ack carries its codes as acknowledgement details") {
        const std::string built = buildApplicationAck(sampleSpec(
            AckTypeCode::AR, {AckDetail{"5009", "Error in prescription ID check digit", ""}}));
        checkGolden("hl7_application_ack_ar.xml", built);

        const auto doc = parse(built);
        REQUIRE(doc.ok());
        CHECK(doc->text("/hl7:MCCI_IN010000UK13/hl7:acknowledgement/hl7:acknowledgementDetail/"
                        "hl7:code/@code") == "5009");
        CHECK(doc->count("//hl7:reason") == 0);

        const auto ack = parseApplicationAck(built);
        REQUIRE(ack.ok());
        CHECK(typeOf(*ack) == "AR");
        REQUIRE(ack->details.size() == 1);
        CHECK(ack->details[0].code == "5009");
        CHECK(ack->details[0].displayName == "Error in prescription ID check digit");
        CHECK(ack->details[0].codeSystem == "2.16.840.1.113883.2.1.3.2.4.17.32");
    }

    TEST_CASE("codes keep their leading zeros and a caller's code system") {
        const std::string built = buildApplicationAck(sampleSpec(
            AckTypeCode::AE,
            {AckDetail{"06", "Patient not at surgery", "2.16.840.1.113883.2.1.3.2.4.17.101"},
             AckDetail{"0002", "Duplicate & <odd> \"name\"", ""}}));
        const auto ack = parseApplicationAck(built);
        REQUIRE(ack.ok());
        REQUIRE(ack->details.size() == 2);
        CHECK(ack->details[0].code == "06");
        CHECK(ack->details[0].codeSystem == "2.16.840.1.113883.2.1.3.2.4.17.101");
        CHECK(ack->details[1].code == "0002");
        CHECK(ack->details[1].displayName == "Duplicate & <odd> \"name\"");
    }

    TEST_CASE("a real-shaped GP2GP NACK with hl7-prefixed elements is read") {
        const auto ack = parseApplicationAck(readGolden("hl7_nack_gp2gp_ae.xml"));
        REQUIRE(ack.ok());
        CHECK(typeOf(*ack) == "AE");
        CHECK(ack->messageId == "7E2C5B10-3F4A-4D8E-9C21-6A0B1D2E3F40");
        CHECK(ack->messageRef == "C1A2B3D4-E5F6-4718-9A0B-1C2D3E4F5A6B");
        REQUIRE(ack->details.size() == 1);
        CHECK(ack->details[0].code == "06");
        CHECK(ack->details[0].displayName == "Patient not at surgery.");
        CHECK(ack->details[0].codeSystem == "2.16.840.1.113883.2.1.3.2.4.17.101");
    }

    TEST_CASE("an EPS AR inside a SOAP reply is read with every detail in order") {
        const auto ack = parseApplicationAck(readGolden("hl7_nack_eps_ar_soap.xml"));
        REQUIRE(ack.ok());
        CHECK(typeOf(*ack) == "AR");
        CHECK(ack->messageId == "5B0D7E3A-1C2F-4E6B-8A9D-0F1E2D3C4B5A");
        CHECK(ack->messageRef == kRefId);
        REQUIRE(ack->details.size() == 2);
        CHECK(ack->details[0].code == "5009");
        CHECK(ack->details[1].code == "0002");
        CHECK(ack->details[1].displayName == "Duplicate prescription ID & message");
    }

    TEST_CASE("parse errors name the missing or wrong element") {
        const std::string good = readGolden("hl7_nack_gp2gp_ae.xml");
        SUBCASE("no typeCode") {
            const auto ack = parseApplicationAck(
                replaced(good, "acknowledgement typeCode=\"AE\"", "acknowledgement"));
            REQUIRE_FALSE(ack.ok());
            CHECK(ack.error().where == "acknowledgement/@typeCode");
            CHECK(ack.error().message == "is missing");
        }
        SUBCASE("unknown typeCode") {
            const auto ack =
                parseApplicationAck(replaced(good, "typeCode=\"AE\"", "typeCode=\"CA\""));
            REQUIRE_FALSE(ack.ok());
            CHECK(ack.error().where == "acknowledgement/@typeCode");
            CHECK(ack.error().message == "must be AA, AE or AR, not \"CA\"");
        }
        SUBCASE("no messageRef") {
            const auto ack = parseApplicationAck(
                replaced(good, "<hl7:id root=\"C1A2B3D4-E5F6-4718-9A0B-1C2D3E4F5A6B\"/>", ""));
            REQUIRE_FALSE(ack.ok());
            CHECK(ack.error().where == "acknowledgement/messageRef/id/@root");
        }
        SUBCASE("no own id") {
            const auto ack = parseApplicationAck(
                replaced(good, "<hl7:id root=\"7E2C5B10-3F4A-4D8E-9C21-6A0B1D2E3F40\"/>", ""));
            REQUIRE_FALSE(ack.ok());
            CHECK(ack.error().where == "id/@root");
        }
        SUBCASE("a reason code without its code") {
            const auto ack = parseApplicationAck(replaced(good, "code=\"06\" ", ""));
            REQUIRE_FALSE(ack.ok());
            CHECK(ack.error().where ==
                  "ControlActEvent/reason/justifyingDetectedIssueEvent[1]/code/@code");
        }
        SUBCASE("no acknowledgement at all") {
            const auto ack = parseApplicationAck(
                "<MCCI_IN010000UK13 xmlns=\"urn:hl7-org:v3\"><id root=\"X\"/></MCCI_IN010000UK13>");
            REQUIRE_FALSE(ack.ok());
            CHECK(ack.error().where == "acknowledgement");
            CHECK(ack.error().message == "is missing");
        }
        SUBCASE("not XML") {
            CHECK_FALSE(parseApplicationAck("<MCCI_IN010000UK13").ok());
        }
    }

} // TEST_SUITE
