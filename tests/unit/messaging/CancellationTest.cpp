#include "Golden.hpp"

#include <gp/messaging/ebxml/Envelope.hpp>
#include <gp/messaging/eps/Cancellation.hpp>
#include <gp/messaging/mime/Multipart.hpp>
#include <gp/messaging/spine/SpineReply.hpp>
#include <gp/messaging/xml/SafeXml.hpp>

#include <doctest/doctest.h>

#include <algorithm>

using namespace gp::messaging::eps;
using gp::messaging::xml::parse;
using gp::test::checkGolden;

namespace {

std::chrono::sys_seconds at(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
    using namespace std::chrono;
    return sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm} + seconds{ss};
}

CancellationRequest sampleRequest() {
    CancellationRequest r;
    r.cancellationId = "7D3C1E54-0B3A-4F61-9F0E-3B5A8C2D1E07";
    r.prescriptionId = "24F5DA-A83008-7EFE6Z";
    r.prescriptionUuid = "20BA5FB5-CB58-462C-923E-22D180B09356";
    r.lineItemId = "A54219B8-F741-4C47-B662-E4F8DFA49AB6";
    r.reasonCode = "0001";
    r.nhsNumber = "9449304130";
    r.prescriber = Prescriber{"A83008", "555254239107", "555254240100", "DR C BOIN", "6095103"};
    r.organisation = Organisation{"A83008", "HALLGARTH SURGERY"};
    r.effectiveTime = at(2026, 3, 15, 7, 2, 0);
    return r;
}

Hl7Wrapper sampleWrapper() {
    return Hl7Wrapper{"5E0C3B1A-2D4F-4A6B-8C7D-9E0F1A2B3C4D", at(2026, 3, 15, 7, 2, 1),
                      "200000001285", "990101234567"};
}

CancellationResponse sampleResponse(std::string code) {
    CancellationResponse r;
    r.messageId = "0A1FD9EF-A3D5-4E95-84CD-252073A23086";
    r.creationTime = at(2026, 3, 15, 7, 2, 2);
    r.messageRef = "5E0C3B1A-2D4F-4A6B-8C7D-9E0F1A2B3C4D";
    r.cancellationRequestId = "7D3C1E54-0B3A-4F61-9F0E-3B5A8C2D1E07";
    r.prescriptionId = "24F5DA-A83008-7EFE6Z";
    r.lineItemId = "A54219B8-F741-4C47-B662-E4F8DFA49AB6";
    r.displayName = std::string(cancellationResponseText(code));
    r.code = std::move(code);
    r.nhsNumber = "9449304130";
    r.fromAsid = "990101234567";
    r.toAsid = "200000001285";
    return r;
}

bool names(const std::vector<gp::Error>& errors, const std::string& where) {
    return std::any_of(errors.begin(), errors.end(),
                       [&](const gp::Error& e) { return e.where == where; });
}

} // namespace

TEST_SUITE("messaging") {
    TEST_CASE("cancellation reasons 0001 to 0008 have their display names") {
        CHECK(std::string(cancellationReasonName("0001").value_or("")) == "Prescribing Error");
        CHECK(std::string(cancellationReasonName("0005").value_or("")) ==
              "At the Patient's request");
        CHECK(std::string(cancellationReasonName("0008").value_or("")) ==
              "Patient deducted - other reason");
        CHECK_FALSE(cancellationReasonName("0000"));
        CHECK_FALSE(cancellationReasonName("0009"));
        CHECK_FALSE(cancellationReasonName("1"));
    }

    TEST_CASE("buildCancellationRequest matches its golden file") {
        checkGolden("eps_cancel_request.xml",
                    buildCancellationRequest(sampleRequest(), sampleWrapper()));
    }

    TEST_CASE("the cancellation request puts ids, reason and wrapper where Spine reads them") {
        const auto doc = parse(buildCancellationRequest(sampleRequest(), sampleWrapper()));
        REQUIRE(doc.ok());
        CHECK(doc->rootName() == "PORX_IN030101SM32");
        CHECK(doc->text("/hl7:PORX_IN030101SM32/hl7:id/@root") ==
              "5E0C3B1A-2D4F-4A6B-8C7D-9E0F1A2B3C4D");
        CHECK(doc->text("/hl7:PORX_IN030101SM32/hl7:interactionId/@extension") ==
              "PORX_IN030101SM32");
        CHECK(doc->text("//hl7:communicationFunctionSnd/hl7:device/hl7:id/@extension") ==
              "200000001285");
        CHECK(doc->text("//hl7:communicationFunctionRcv/hl7:device/hl7:id/@extension") ==
              "990101234567");
        const std::string body = "//hl7:CancellationRequest";
        CHECK(doc->text(body + "/hl7:id/@root") == "7D3C1E54-0B3A-4F61-9F0E-3B5A8C2D1E07");
        CHECK(doc->text(body + "//hl7:pertinentPrescriptionID/hl7:value[@root="
                               "'2.16.840.1.113883.2.1.3.2.4.18.8']/@extension") ==
              "24F5DA-A83008-7EFE6Z");
        CHECK(doc->text(body + "//hl7:pertinentLineItemRef/hl7:id/@root") ==
              "A54219B8-F741-4C47-B662-E4F8DFA49AB6");
        CHECK(doc->count(body + "//hl7:pertinentLineItemRef") == 1);
        CHECK(doc->text(body + "//hl7:pertinentCancellationReason/hl7:value/@code") == "0001");
        CHECK(doc->text(body + "//hl7:pertinentCancellationReason/hl7:value/@displayName") ==
              "Prescribing Error");
        CHECK(doc->text(body + "//hl7:pertinentOriginalPrescriptionRef/hl7:id/@root") ==
              "20BA5FB5-CB58-462C-923E-22D180B09356");
        CHECK(doc->text(body + "/hl7:recordTarget/hl7:Patient/hl7:id/@extension") == "9449304130");
        CHECK(doc->text(body + "/hl7:author/hl7:AgentPerson/hl7:id/@extension") == "555254240100");
        CHECK(doc->text(body + "/hl7:responsibleParty/hl7:AgentPerson/hl7:representedOrganization"
                               "/hl7:id/@extension") == "A83008");
    }

    TEST_CASE("a cancellation of a prescription whose long id is unknown leaves the reference "
              "out") {
        CancellationRequest r = sampleRequest();
        r.prescriptionUuid.clear();
        const auto doc = parse(buildCancellationRequest(r, sampleWrapper()));
        REQUIRE(doc.ok());
        CHECK(doc->count("//hl7:pertinentOriginalPrescriptionRef") == 0);
        CHECK(validate(r).empty());
    }

    TEST_CASE("validate names every field of a cancellation that cannot be built") {
        CHECK(validate(sampleRequest()).empty());
        CancellationRequest r = sampleRequest();
        r.prescriptionId = "24F5DA-A83008-7EFE6A";
        r.lineItemId = "a54219b8-f741-4c47-b662-e4f8dfa49ab6";
        r.reasonCode = "0009";
        r.nhsNumber = "9449304131";
        r.prescriber.sdsUserId.clear();
        const auto errors = validate(r);
        CHECK(names(errors, "prescriptionId"));
        CHECK(names(errors, "lineItemId"));
        CHECK(names(errors, "nhsNumber"));
        CHECK(names(errors, "prescriber.sdsUserId"));
        REQUIRE(names(errors, "reason"));
        const auto reason = std::find_if(errors.begin(), errors.end(),
                                         [](const gp::Error& e) { return e.where == "reason"; });
        CHECK(reason->message == "must be a cancellation reason code from 0001 to 0008");
    }

    TEST_CASE("cancellation response codes have Spine's texts") {
        CHECK(std::string(cancellationResponseText("0001")) == "Prescription/item was cancelled");
        CHECK(std::string(cancellationResponseText("0008")) == "Prescription/item not found");
        CHECK(std::string(cancellationResponseText("5888")) == "Invalid message");
        CHECK(std::string(cancellationResponseText("0042")).empty());
    }

    TEST_CASE("buildCancellationResponse matches its golden files") {
        checkGolden("eps_cancel_response_0001.xml",
                    buildCancellationResponse(sampleResponse("0001")));
        CancellationResponse withDispenser = sampleResponse("0002");
        withDispenser.dispenserOds = "FCG71";
        checkGolden("eps_cancel_response_0002.xml", buildCancellationResponse(withDispenser));
    }

    TEST_CASE("a cancellation response reads back as it was built") {
        for (const char* code :
             {"0001", "0002", "0003", "0004", "0005", "0006", "0008", "5000", "5888"}) {
            CAPTURE(code);
            CancellationResponse built = sampleResponse(code);
            if (std::string(code) == "0002" || std::string(code) == "0003") {
                built.dispenserOds = "FCG71";
            }
            const auto parsed = parseCancellationResponse(buildCancellationResponse(built));
            REQUIRE(parsed.ok());
            CHECK(parsed->code == built.code);
            CHECK(parsed->displayName == built.displayName);
            CHECK(parsed->prescriptionId == built.prescriptionId);
            CHECK(parsed->lineItemId == built.lineItemId);
            CHECK(parsed->dispenserOds == built.dispenserOds);
            CHECK(parsed->messageId == built.messageId);
            CHECK(parsed->messageRef == built.messageRef);
            CHECK(parsed->cancellationRequestId == built.cancellationRequestId);
            CHECK(parsed->nhsNumber == built.nhsNumber);
            CHECK(parsed->fromAsid == built.fromAsid);
            CHECK(parsed->toAsid == built.toAsid);
        }
    }

    TEST_CASE("the response acknowledgement is AA only for a cancelled item") {
        const auto cancelled = parse(buildCancellationResponse(sampleResponse("0001")));
        const auto dispensed = parse(buildCancellationResponse(sampleResponse("0004")));
        REQUIRE(cancelled.ok());
        REQUIRE(dispensed.ok());
        CHECK(cancelled->text("//hl7:acknowledgement/@typeCode") == "AA");
        CHECK(dispensed->text("//hl7:acknowledgement/@typeCode") == "AE");
    }

    TEST_CASE("parseCancellationResponse names what is missing") {
        SUBCASE("not XML") {
            const auto parsed = parseCancellationResponse("<PORX_IN050101UK31");
            REQUIRE_FALSE(parsed.ok());
            CHECK(parsed.error().where.rfind("PORX_IN050101UK31", 0) == 0);
        }
        SUBCASE("no CancellationResponse") {
            const auto parsed =
                parseCancellationResponse("<PORX_IN050101UK31 xmlns=\"urn:hl7-org:v3\"/>");
            REQUIRE_FALSE(parsed.ok());
            CHECK(parsed.error().describe() == "CancellationResponse: is missing");
        }
        SUBCASE("no response code") {
            std::string xml = buildCancellationResponse(sampleResponse("0001"));
            const auto at = xml.find("code=\"0001\"");
            REQUIRE(at != std::string::npos);
            xml.replace(at, 11, "code=\"\"");
            const auto parsed = parseCancellationResponse(xml);
            REQUIRE_FALSE(parsed.ok());
            CHECK(parsed.error().describe() == "pertinentResponse/value/@code: is missing");
        }
    }

    TEST_CASE("Spine's same-connection cancellation reply is an acknowledgement with the "
              "response in it") {
        namespace ebxml = gp::messaging::ebxml;
        namespace mime = gp::messaging::mime;
        namespace spine = gp::messaging::spine;
        ebxml::AcknowledgmentSpec ack;
        ack.fromPartyId = "YES-0000806";
        ack.toPartyId = "A83008-9199121";
        ack.cpaId = "S20001A000100";
        ack.conversationId = "3C5B1E2A-8F4D-4E6B-9A1C-2D3E4F5A6B7C";
        ack.messageId = "6E1D2C3B-4A5F-4061-8273-94A5B6C7D8E9";
        ack.refToMessageId = "5E0C3B1A-2D4F-4A6B-8C7D-9E0F1A2B3C4D";
        ack.timestamp = at(2026, 3, 15, 7, 2, 2);
        mime::Multipart multipart;
        mime::Part envelope;
        envelope.contentId = "ebXMLHeader@spine.nhs.uk";
        envelope.contentType = "text/xml; charset=UTF-8";
        envelope.body = ebxml::buildAcknowledgment(ack);
        mime::Part payload;
        payload.contentId = "0A1FD9EF-A3D5-4E95-84CD-252073A23086@spine.nhs.uk";
        payload.contentType = "text/xml; charset=UTF-8";
        payload.body = buildCancellationResponse(sampleResponse("0004"));
        multipart.parts.push_back(envelope);
        multipart.parts.push_back(payload);
        const std::string body = mime::serialize(multipart);

        const auto reply = spine::parseSpineReply(mime::contentTypeHeader(multipart), body);
        REQUIRE(reply.ok());
        CHECK(std::string(spine::toString(reply->kind)) == "Acknowledgment");
        CHECK(reply->transportAcknowledged);
        CHECK(reply->refToMessageId == "5E0C3B1A-2D4F-4A6B-8C7D-9E0F1A2B3C4D");

        // The agent finds the response again in the kept body.
        const auto parsed = mime::parse(mime::contentTypeHeader(multipart), body);
        REQUIRE(parsed.ok());
        const auto response = parseCancellationResponse(parsed->parts.at(1).body);
        REQUIRE(response.ok());
        CHECK(response->code == "0004");
    }
}
