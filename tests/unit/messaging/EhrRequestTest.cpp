#include "Golden.hpp"
#include "Gp2gpSamples.hpp"

#include <gp/messaging/gp2gp/EhrRequest.hpp>
#include <gp/messaging/xml/SafeXml.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace gp::messaging::gp2gp;
using gp::test::checkGolden;
using gp::test::gp2gp::sampleRequest;

namespace {

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE_MESSAGE(at != std::string::npos, "sample lacks " << from);
    text.replace(at, from.size(), to);
    return text;
}

} // namespace

TEST_SUITE("messaging") {

    TEST_CASE("gp2gp buildEhrRequest matches the golden file and carries every identifier") {
        const std::string xml = buildEhrRequest(sampleRequest());
        checkGolden("gp2gp_ehr_request.xml", xml);

        auto doc = gp::messaging::xml::parse(xml);
        REQUIRE(doc.ok());
        CHECK(doc->rootName() == "RCMR_IN010000UK05");
        const std::string request = "//hl7:EhrRequest";
        CHECK(doc->text("/*/hl7:interactionId/@extension") == "RCMR_IN010000UK05");
        CHECK(doc->text(request + "/hl7:id/@root") == "041CA2AE-3EC6-4AC9-942F-0F6621CC0BFC");
        CHECK(doc->text(request + "/hl7:recordTarget/hl7:patient/hl7:id/@root") ==
              "2.16.840.1.113883.2.1.4.1");
        CHECK(doc->text(request + "/hl7:recordTarget/hl7:patient/hl7:id/@extension") ==
              "9692294935");
        CHECK(doc->texts("//hl7:agentOrganizationSDS/hl7:id/@root") ==
              std::vector<std::string>{"1.2.826.0.1285.0.1.10", "1.2.826.0.1285.0.1.10"});
        CHECK(doc->text(request + "/hl7:author//hl7:id/@extension") == "N82668");
        CHECK(doc->text(request + "/hl7:destination//hl7:id/@extension") == "B86041");
        CHECK(doc->text("/*/hl7:communicationFunctionSnd/hl7:device/hl7:id/@root") ==
              "1.2.826.0.1285.0.2.0.107");
        CHECK(doc->text("/*/hl7:communicationFunctionSnd/hl7:device/hl7:id/@extension") ==
              "200000000205");
        CHECK(doc->text("/*/hl7:communicationFunctionRcv/hl7:device/hl7:id/@extension") ==
              "200000001161");
        CHECK(doc->text("/*/hl7:creationTime/@value") == "20260315090030");
    }

    TEST_CASE("gp2gp parseEhrRequest round trips buildEhrRequest") {
        const EhrRequest original = sampleRequest();
        auto parsed = parseEhrRequest(buildEhrRequest(original));
        REQUIRE_MESSAGE(parsed.ok(), parsed.error().describe());
        CHECK(parsed->messageId == original.messageId);
        CHECK(parsed->creationTime == original.creationTime);
        CHECK(parsed->requestId == original.requestId);
        CHECK(parsed->nhsNumber == original.nhsNumber);
        CHECK(parsed->requesterOds == original.requesterOds);
        CHECK(parsed->senderOds == original.senderOds);
        CHECK(parsed->requesterAsid == original.requesterAsid);
        CHECK(parsed->senderAsid == original.senderAsid);
    }

    TEST_CASE("gp2gp parseEhrRequest reads another supplier's form") {
        // The shape EMIS sends: extra type attributes, a millisecond-less time, NHS number root
        // first.
        const std::string xml =
            "<RCMR_IN010000UK05 xmlns=\"urn:hl7-org:v3\" type=\"Message\">"
            "<id root=\"DFF5321C-C6EA-468E-BBC2-B0E48000E071\"/>"
            "<creationTime value=\"20201116171338\"/>"
            "<communicationFunctionRcv type=\"CommunicationFunction\" typeCode=\"RCV\"><device>"
            "<id root=\"1.2.826.0.1285.0.2.0.107\" extension=\"200000001161\"/></device>"
            "</communicationFunctionRcv>"
            "<communicationFunctionSnd typeCode=\"SND\"><device>"
            "<id root=\"1.2.826.0.1285.0.2.0.107\" extension=\"200000000205\"/></device>"
            "</communicationFunctionSnd>"
            "<ControlActEvent><subject><EhrRequest classCode=\"EXTRACT\" moodCode=\"RQO\">"
            "<id root=\"041CA2AE-3EC6-4AC9-942F-0F6621CC0BFC\"/>"
            "<recordTarget><patient><id root=\"2.16.840.1.113883.2.1.4.1\" "
            "extension=\"9692294935\"/></patient></recordTarget>"
            "<author><AgentOrgSDS><agentOrganizationSDS><id root=\"1.2.826.0.1285.0.1.10\" "
            "extension=\"N82668\"/></agentOrganizationSDS></AgentOrgSDS></author>"
            "<destination><AgentOrgSDS><agentOrganizationSDS><id root=\"1.2.826.0.1285.0.1.10\" "
            "extension=\"B86041\"/></agentOrganizationSDS></AgentOrgSDS></destination>"
            "</EhrRequest></subject></ControlActEvent></RCMR_IN010000UK05>";
        auto parsed = parseEhrRequest(xml);
        REQUIRE_MESSAGE(parsed.ok(), parsed.error().describe());
        CHECK(parsed->messageId == "DFF5321C-C6EA-468E-BBC2-B0E48000E071");
        CHECK(parsed->requesterOds == "N82668");
        CHECK(parsed->senderOds == "B86041");
        CHECK(parsed->creationTime == gp::test::gp2gp::at(2020, 11, 16, 17, 13, 38));
    }

    TEST_CASE("gp2gp parseEhrRequest names what is missing or wrong") {
        const std::string good = buildEhrRequest(sampleRequest());
        SUBCASE("NHS number") {
            auto r =
                parseEhrRequest(replaced(good, "extension=\"9692294935\"", "nullFlavor=\"UNK\""));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "recordTarget/patient/id/@extension");
            CHECK(r.error().message == "is missing");
        }
        SUBCASE("request id") {
            auto r = parseEhrRequest(
                replaced(good, "<id root=\"041CA2AE-3EC6-4AC9-942F-0F6621CC0BFC\"/>", ""));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "EhrRequest/id/@root");
        }
        SUBCASE("sender ODS") {
            auto r = parseEhrRequest(replaced(good, "extension=\"B86041\"", ""));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "destination/AgentOrgSDS/agentOrganizationSDS/id/@extension");
        }
        SUBCASE("creation time") {
            auto r = parseEhrRequest(replaced(good, "20260315090030", "2026-03-15"));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "creationTime/@value");
        }
        SUBCASE("another interaction") {
            auto r = parseEhrRequest("<MCCI_IN010000UK13 xmlns=\"urn:hl7-org:v3\"/>");
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "root element");
            CHECK(r.error().message ==
                  "must be RCMR_IN010000UK05 in urn:hl7-org:v3, not MCCI_IN010000UK13");
        }
        SUBCASE("not XML") {
            CHECK_FALSE(parseEhrRequest("<RCMR_IN010000UK05").ok());
        }
    }
}
