// Entity bombs and external entities against every XML entry point of the messaging library.
// SafeXmlTest covers xml::parse itself; here each parser the agent feeds untrusted bytes (the
// ebXML envelope and message, Spine replies, HL7 acks, GP2GP requests, extracts and COPC
// messages, EPS cancellation responses) gets a real message of its kind with the attack spliced
// in, and must refuse it because of the DOCTYPE: nothing expanded, nothing fetched.

#include "Golden.hpp"

#include <gp/messaging/ebxml/Envelope.hpp>
#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/eps/Cancellation.hpp>
#include <gp/messaging/gp2gp/EhrExtract.hpp>
#include <gp/messaging/gp2gp/EhrRequest.hpp>
#include <gp/messaging/gp2gp/Gp2gpMessages.hpp>
#include <gp/messaging/hl7/ApplicationAck.hpp>
#include <gp/messaging/spine/SpineReply.hpp>
#include <gp/messaging/xml/SafeXml.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace ebxml = gp::messaging::ebxml;
namespace eps = gp::messaging::eps;
namespace gp2gp = gp::messaging::gp2gp;
namespace hl7 = gp::messaging::hl7;
namespace spine = gp::messaging::spine;
using gp::test::readGolden;

namespace {

// The Content-Type the golden multipart bodies were built with.
const std::string kMultipartType = "multipart/related; boundary=\"--=_MIME-Boundary\"; "
                                   "type=text/xml; start=ebXMLHeader@spine.nhs.uk";

struct Attack {
    std::string name;
    std::string doctype;   // goes before the root element
    std::string reference; // goes inside the root element
};

std::string billionLaughsDoctype() {
    std::string doctype = "<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n";
    for (int level = 1; level <= 9; ++level) {
        doctype += "<!ENTITY lol" + std::to_string(level) + " \"";
        const std::string inner = level == 1 ? "&lol;" : "&lol" + std::to_string(level - 1) + ";";
        for (int i = 0; i < 10; ++i) {
            doctype += inner;
        }
        doctype += "\">\n";
    }
    return doctype + "]>\n";
}

std::string quadraticReferences() {
    std::string references;
    for (int i = 0; i < 2000; ++i) {
        references += "&big;";
    }
    return references;
}

std::vector<Attack> attacks() {
    return {
        {"billion laughs", billionLaughsDoctype(), "&lol9;"},
        {"quadratic blowup", "<!DOCTYPE q [<!ENTITY big \"" + std::string(20000, 'x') + "\">]>\n",
         quadraticReferences()},
        {"external entity", "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n",
         "&xxe;"},
        {"external parameter entity",
         "<!DOCTYPE x [<!ENTITY % pe SYSTEM \"http://127.0.0.1:1/evil.dtd\"> %pe;]>\n", ""},
        {"external DTD", "<!DOCTYPE x SYSTEM \"http://127.0.0.1:1/evil.dtd\">\n", ""},
        {"public external DTD", "<!DOCTYPE x PUBLIC \"-//EVIL//DTD//EN\" \"file:///etc/passwd\">\n",
         ""},
    };
}

/// `text` with the attack spliced around the first element named `root`: its DOCTYPE just
/// before the element, its entity references just inside it.
std::string armed(std::string text, const std::string& root, const Attack& attack) {
    const auto start = text.find("<" + root);
    REQUIRE_MESSAGE(start != std::string::npos, "sample lacks <" << root);
    const auto startTagEnd = text.find('>', start);
    REQUIRE(startTagEnd != std::string::npos);
    text.insert(startTagEnd + 1, attack.reference);
    text.insert(start, attack.doctype);
    return text;
}

/// The parser must have refused the document for its DOCTYPE, and said nothing of what an
/// expansion or a fetch would have produced.
template <typename T>
void checkRefused(const gp::Result<T>& result, const Attack& attack) {
    CAPTURE(attack.name);
    REQUIRE_FALSE(result.ok());
    const std::string said = result.error().describe();
    CHECK_MESSAGE(said.find("DOCTYPE") != std::string::npos, said);
    CHECK(said.find("lollol") == std::string::npos);
    CHECK(said.find("xxxxxxxx") == std::string::npos);
    CHECK(said.find("root:") == std::string::npos);
}

} // namespace

TEST_SUITE("messaging") {

    TEST_CASE("xml attacks: every sample parses as it is, so each refusal below is the attack's") {
        CHECK(ebxml::parseEnvelope(readGolden("ebxml_acknowledgment.xml")).ok());
        CHECK(ebxml::parseMessage(kMultipartType, readGolden("gp2gp_attachment_message.txt")).ok());
        CHECK(spine::parseSpineReply("text/xml", readGolden("ebxml_soap_fault.xml")).ok());
        CHECK(spine::parseSpineReply("text/xml", readGolden("reply_mcci_ae.xml")).ok());
        CHECK(hl7::parseApplicationAck(readGolden("hl7_application_ack_ae.xml")).ok());
        CHECK(gp2gp::parseEhrRequest(readGolden("gp2gp_ehr_request.xml")).ok());
        CHECK(gp2gp::parseEhrExtract(readGolden("gp2gp_ehr_extract.xml")).ok());
        CHECK(eps::parseCancellationResponse(readGolden("eps_cancel_response_0001.xml")).ok());
        auto copc = ebxml::parseMessage(kMultipartType, readGolden("gp2gp_attachment_message.txt"));
        REQUIRE(copc.ok());
        CHECK(gp2gp::readGp2gpMessage(*copc, 1024 * 1024).ok());
    }

    TEST_CASE("xml attacks: the ebXML envelope reader refuses entity bombs and XXE") {
        for (const auto& attack : attacks()) {
            checkRefused(ebxml::parseEnvelope(armed(readGolden("ebxml_acknowledgment.xml"),
                                                    "SOAP:Envelope", attack)),
                         attack);
        }
    }

    TEST_CASE("xml attacks: the tag scanner refuses entity bombs and XXE") {
        class Ignore final : public gp::messaging::xml::ElementVisitor {
            void startElement(const gp::messaging::xml::StartTag&) override {}
            void endElement() override {}
        } ignore;
        CHECK(gp::messaging::xml::scan(readGolden("hl7_application_ack_ae.xml"), ignore).ok());
        for (const auto& attack : attacks()) {
            checkRefused(gp::messaging::xml::scan(armed(readGolden("hl7_application_ack_ae.xml"),
                                                        "MCCI_IN010000UK13", attack),
                                                  ignore),
                         attack);
        }
    }

    TEST_CASE("xml attacks: the ebXML message reader refuses them in the envelope part") {
        for (const auto& attack : attacks()) {
            checkRefused(ebxml::parseMessage(kMultipartType,
                                             armed(readGolden("gp2gp_attachment_message.txt"),
                                                   "SOAP:Envelope", attack)),
                         attack);
        }
    }

    TEST_CASE("xml attacks: the Spine reply reader refuses them in a SOAP reply and in an MCCI") {
        for (const auto& attack : attacks()) {
            checkRefused(
                spine::parseSpineReply(
                    "text/xml", armed(readGolden("ebxml_soap_fault.xml"), "SOAP:Envelope", attack)),
                attack);
            checkRefused(spine::parseSpineReply("text/xml", armed(readGolden("reply_mcci_ae.xml"),
                                                                  "MCCI_IN010000UK13", attack)),
                         attack);
        }
    }

    TEST_CASE("xml attacks: the HL7 application ack reader refuses entity bombs and XXE") {
        for (const auto& attack : attacks()) {
            checkRefused(hl7::parseApplicationAck(armed(readGolden("hl7_application_ack_ae.xml"),
                                                        "MCCI_IN010000UK13", attack)),
                         attack);
        }
    }

    TEST_CASE("xml attacks: the GP2GP EHR request reader refuses entity bombs and XXE") {
        for (const auto& attack : attacks()) {
            checkRefused(gp2gp::parseEhrRequest(armed(readGolden("gp2gp_ehr_request.xml"),
                                                      "RCMR_IN010000UK05", attack)),
                         attack);
        }
    }

    TEST_CASE("xml attacks: the GP2GP EHR extract reader refuses entity bombs and XXE") {
        for (const auto& attack : attacks()) {
            checkRefused(gp2gp::parseEhrExtract(armed(readGolden("gp2gp_ehr_extract.xml"),
                                                      "RCMR_IN030000UK06", attack)),
                         attack);
        }
    }

    TEST_CASE("xml attacks: the GP2GP message reader refuses them in a COPC payload") {
        auto copc = ebxml::parseMessage(kMultipartType, readGolden("gp2gp_attachment_message.txt"));
        REQUIRE(copc.ok());
        const std::string root = "COPC_IN000001UK01";
        for (const auto& attack : attacks()) {
            ebxml::Message message = *copc;
            message.payload = armed(message.payload, root, attack);
            checkRefused(gp2gp::readGp2gpMessage(message, 1024 * 1024), attack);
        }
    }

    TEST_CASE("xml attacks: the EPS cancellation response reader refuses entity bombs and XXE") {
        for (const auto& attack : attacks()) {
            checkRefused(
                eps::parseCancellationResponse(
                    armed(readGolden("eps_cancel_response_0001.xml"), "PORX_IN050101UK31", attack)),
                attack);
        }
    }

} // TEST_SUITE
