#include "Golden.hpp"
#include "Gp2gpSamples.hpp"

#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/gp2gp/Gp2gpMessages.hpp>
#include <gp/messaging/xml/SafeXml.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace gp::messaging::gp2gp;
namespace ebxml = gp::messaging::ebxml;
namespace samples = gp::test::gp2gp;
using gp::test::checkGolden;

namespace {

constexpr std::size_t kMaxDecompressed = 10 * 1024 * 1024;

const char* const kContinueId = "FA039330-7E63-446A-8CA4-E9E0D00DA6E8";
const char* const kAttachmentId = "A7B6C8EC-5AB4-4BF3-BB72-5D76E5D205A4";
const char* const kIndexId = "E39E79A2-FA96-48FF-9373-7BBCB9D036E7";
const char* const kAckId = "3F35E4D9-3FAF-41E3-B10C-8BC15657569C";
const std::vector<std::string> kFragmentIds = {"77128B31-4245-4AFC-8DA2-8A40623A5101",
                                               "24AED038-FF3E-466D-820A-AE1B334D68EE",
                                               "095DF934-2804-4BE6-B15C-936A60E940CD"};

// Through the whole wire: build the HTTP body, parse it back, read it as GP2GP.
InboundGp2gp viaWire(const ebxml::Message& message,
                     std::size_t maxDecompressed = kMaxDecompressed) {
    const ebxml::HttpBody http = ebxml::buildMessage(message);
    auto parsed = ebxml::parseMessage(http.contentType, http.body);
    REQUIRE_MESSAGE(parsed.ok(), parsed.error().describe());
    auto read = readGp2gpMessage(*parsed, maxDecompressed);
    REQUIRE_MESSAGE(read.ok(), read.error().describe());
    return std::move(read).value();
}

gp::Error readError(const ebxml::Message& message, std::size_t maxDecompressed = kMaxDecompressed) {
    const ebxml::HttpBody http = ebxml::buildMessage(message);
    auto parsed = ebxml::parseMessage(http.contentType, http.body);
    REQUIRE_MESSAGE(parsed.ok(), parsed.error().describe());
    auto read = readGp2gpMessage(*parsed, maxDecompressed);
    REQUIRE_FALSE(read.ok());
    return read.error();
}

void checkForwardReliable(const ebxml::Message& m, std::string_view action,
                          const std::string& messageId, const Routing& routing) {
    CHECK(m.header.service == "urn:nhs:names:services:gp2gp");
    CHECK(m.header.action == action);
    CHECK(m.header.messageId == messageId);
    CHECK(m.header.conversationId == samples::kConversationId);
    CHECK(m.header.fromPartyId == routing.fromPartyId);
    CHECK(m.header.toPartyId == routing.toPartyId);
    CHECK(m.header.cpaId == routing.cpaId);
    CHECK(m.header.duplicateElimination);
    CHECK(m.header.ackRequested == ebxml::AckRequested::NextMsh);
    CHECK_FALSE(m.header.syncReply);
}

std::vector<ebxml::Attachment> inlineAttachments() {
    AttachmentDescription letter =
        samples::describe("discharge letter=final.pdf", "application/pdf");
    letter.originalBase64 = true;
    letter.length = 2048;
    const AttachmentDescription note = samples::describe("referral.txt", "text/plain");
    return {
        {"letter-1@gp-agent", "application/pdf", formatAttachmentDescription(letter),
         samples::binaryBytes(2048), true},
        {"note-2@gp-agent", "text/plain", formatAttachmentDescription(note),
         "Please see this patient.\r\n", false},
    };
}

std::vector<ExternalDocument> externalDocuments() {
    AttachmentDescription scan = samples::describe("scan 2003.tif", "image/tiff", true);
    scan.length = 42'810'092;
    AttachmentDescription video = samples::describe("clinic.mpg", "video/mpeg");
    video.compressed = true;
    return {{kIndexId, scan}, {kAttachmentId, video}};
}

ebxml::Message extractMessage() {
    return ehrExtractMessage(samples::senderToRequester(),
                             samples::envelope(samples::kExtractMessageId, 5),
                             samples::sampleExtract(), inlineAttachments(), externalDocuments());
}

} // namespace

TEST_SUITE("messaging") {

    TEST_CASE("gp2gp EHR request message: golden, flags and round trip") {
        const Routing routing = samples::requesterToSender();
        const ebxml::Message m = ehrRequestMessage(
            routing, samples::envelope(samples::kRequestMessageId), samples::sampleRequest());
        checkForwardReliable(m, "RCMR_IN010000UK05", samples::kRequestMessageId, routing);
        const ebxml::HttpBody http = ebxml::buildMessage(m);
        CHECK(http.soapAction == "urn:nhs:names:services:gp2gp/RCMR_IN010000UK05");
        checkGolden("gp2gp_ehr_request_message.txt", http.body);

        const InboundGp2gp in = viaWire(m);
        CHECK(in.kind == InboundGp2gp::Kind::EhrRequest);
        CHECK(in.messageId == samples::kRequestMessageId);
        CHECK(in.conversationId == samples::kConversationId);
        CHECK(in.fromPartyId == "N82668-820670");
        REQUIRE(in.request.has_value());
        CHECK(in.request->messageId == samples::kRequestMessageId);
        CHECK(in.request->requestId == samples::kRequestId);
        CHECK(in.request->nhsNumber == samples::kNhsNumber);
        CHECK(in.request->requesterOds == "N82668");
        CHECK(in.request->senderOds == "B86041");
    }

    TEST_CASE("gp2gp the HL7 id of a message is its ebXML MessageId") {
        EhrRequest request = samples::sampleRequest();
        request.messageId = "stale";
        const ebxml::Message m = ehrRequestMessage(
            samples::requesterToSender(), samples::envelope(samples::kRequestMessageId), request);
        auto parsed = parseEhrRequest(m.payload);
        REQUIRE(parsed.ok());
        CHECK(parsed->messageId == samples::kRequestMessageId);
    }

    TEST_CASE("gp2gp EHR extract message with inline and external documents") {
        const ebxml::Message m = extractMessage();
        checkForwardReliable(m, "RCMR_IN030000UK06", samples::kExtractMessageId,
                             samples::senderToRequester());
        const ebxml::HttpBody http = ebxml::buildMessage(m);
        checkGolden("gp2gp_ehr_extract_message.txt", http.body);

        // Manifest: payload, the two inline parts, then the two mid: references with their
        // descriptions.
        auto envelope = ebxml::parseMessage(http.contentType, http.body);
        REQUIRE(envelope.ok());
        const auto& manifest = envelope->header.manifest;
        REQUIRE(manifest.size() == 5);
        CHECK(manifest[1].href == "cid:letter-1@gp-agent");
        CHECK(manifest[2].href == "cid:note-2@gp-agent");
        CHECK(manifest[3].href == std::string("mid:") + kIndexId);
        CHECK(manifest[3].description ==
              "Filename=\"scan 2003.tif\" ContentType=image/tiff Compressed=No "
              "LargeAttachment=Yes OriginalBase64=No Length=42810092");
        CHECK(manifest[4].href == std::string("mid:") + kAttachmentId);

        const InboundGp2gp in = viaWire(m);
        CHECK(in.kind == InboundGp2gp::Kind::EhrExtract);
        CHECK_FALSE(in.wasCompressed);
        CHECK(in.extractXml == m.payload);
        REQUIRE(in.extract.has_value());
        CHECK(in.extract->messageId == samples::kExtractMessageId);
        CHECK(in.extract->extractId == samples::kExtractId);
        CHECK(in.extract->requestId == samples::kRequestId);
        CHECK(in.extract->documentHrefs.size() == 4);

        REQUIRE(in.attachments.size() == 2);
        const auto originals = inlineAttachments();
        for (std::size_t i = 0; i < 2; ++i) {
            CHECK(in.attachments[i].contentId == originals[i].contentId);
            CHECK(in.attachments[i].body == originals[i].body);
            CHECK(in.attachments[i].description == originals[i].description);
        }
        auto letter = parseAttachmentDescription(in.attachments[0].description);
        REQUIRE(letter.ok());
        CHECK(letter->filename == "discharge letter=final.pdf");

        REQUIRE(in.externalDocuments.size() == 2);
        CHECK(in.externalDocuments[0].messageId == kIndexId);
        CHECK(in.externalDocuments[0].description.filename == "scan 2003.tif");
        CHECK(in.externalDocuments[0].description.largeAttachment);
        CHECK(in.externalDocuments[0].description.length == 42'810'092u);
        CHECK(in.externalDocuments[1].messageId == kAttachmentId);
        CHECK(in.externalDocuments[1].description.compressed);
    }

    TEST_CASE("gp2gp compressed extract: skeleton payload and gzipped original") {
        EhrExtractSpec spec = samples::sampleExtract();
        // Enough record to be worth compressing, over a small test threshold of 8 KB.
        for (int i = 0; i < 40; ++i) {
            spec.compositions.push_back(spec.compositions[0]);
        }
        const ebxml::Message plain = ehrExtractMessage(
            samples::senderToRequester(), samples::envelope(samples::kExtractMessageId, 5), spec,
            {}, externalDocuments());
        REQUIRE(plain.payload.size() > 8 * 1024);

        const ebxml::Message m = compressedExtractMessage(
            samples::senderToRequester(), samples::envelope(samples::kExtractMessageId, 5), spec,
            externalDocuments());
        checkForwardReliable(m, "RCMR_IN030000UK06", samples::kExtractMessageId,
                             samples::senderToRequester());
        checkGolden("gp2gp_compressed_extract_payload.xml", m.payload);
        CHECK(m.payload.size() < 8 * 1024);
        REQUIRE(m.attachments.size() == 1);
        const ebxml::Attachment& part = m.attachments[0];
        CHECK(part.base64);
        CHECK(part.contentType == "application/octet-stream");
        CHECK(part.description ==
              "Filename=\"" + part.contentId +
                  "_EhrExtract.xml.gz\" ContentType=text/xml Compressed=Yes LargeAttachment=No "
                  "OriginalBase64=No Length=" +
                  std::to_string(plain.payload.size()) + " DomainData=\"X-GP2GP-Skeleton: Yes\"");
        auto skeleton = parseEhrExtract(m.payload);
        REQUIRE(skeleton.ok());
        CHECK(skeleton->documentHrefs == std::vector<std::string>{"cid:" + part.contentId});

        // The Content-Description header carries the marking too.
        const ebxml::HttpBody http = ebxml::buildMessage(m);
        CHECK(http.body.find("Content-Description: Filename=\"" + part.contentId) !=
              std::string::npos);

        const InboundGp2gp in = viaWire(m);
        CHECK(in.kind == InboundGp2gp::Kind::EhrExtract);
        CHECK(in.wasCompressed);
        CHECK(in.extractXml == plain.payload);
        REQUIRE(in.extract.has_value());
        CHECK(in.extract->documentHrefs.size() == 4);
        CHECK(in.attachments.empty());
        CHECK(in.externalDocuments.size() == 2);

        SUBCASE("the decompression bound holds") {
            const gp::Error e = readError(m, 1'000);
            CHECK(e.where == "skeleton attachment " + part.contentId);
            CHECK(e.message == "decompresses to more than 1000 bytes");
        }
        SUBCASE("a skeleton part that is not gzip") {
            ebxml::Message broken = m;
            broken.attachments[0].body = "not compressed at all";
            const gp::Error e = readError(broken);
            CHECK(e.where == "skeleton attachment " + part.contentId);
        }
        SUBCASE("a skeleton part sent as base64 text in an 8bit part") {
            ebxml::Message text = m;
            text.attachments[0].body = gp::messaging::mime::base64Encode(m.attachments[0].body);
            text.attachments[0].base64 = false;
            const InboundGp2gp again = viaWire(text);
            CHECK(again.wasCompressed);
            CHECK(again.extractXml == plain.payload);
        }
    }

    TEST_CASE("gp2gp Continue message") {
        const Routing routing = samples::requesterToSender();
        const ebxml::Message m =
            continueMessage(routing, samples::envelope(kContinueId, 7), samples::kExtractMessageId);
        checkForwardReliable(m, "COPC_IN000001UK01", kContinueId, routing);
        CHECK(m.attachments.empty());
        checkGolden("gp2gp_continue_message.txt", ebxml::buildMessage(m).body);

        auto doc = gp::messaging::xml::parse(m.payload);
        REQUIRE(doc.ok());
        gp::messaging::xml::Namespaces ns = gp::messaging::xml::spineNamespaces();
        ns["gp"] = "urn:nhs:names:services:gp2gp";
        CHECK(doc->text("//gp:Gp2gpfragment/gp:subject", ns) == "Continue Acknowledgement");
        CHECK(doc->text("//hl7:acknowledgement/@typeCode", ns) == "AA");
        CHECK(doc->text("//hl7:acknowledgement/hl7:messageRef/hl7:id/@root", ns) ==
              samples::kExtractMessageId);
        CHECK(doc->text("//gp:Recipient", ns) == "B86041");
        CHECK(doc->text("//gp:From", ns) == "N82668");

        const InboundGp2gp in = viaWire(m);
        CHECK(in.kind == InboundGp2gp::Kind::Continue);
        CHECK(in.acknowledgedMessageId == samples::kExtractMessageId);
        CHECK(in.attachments.empty());
    }

    TEST_CASE("gp2gp attachment message") {
        const Routing routing = samples::senderToRequester();
        AttachmentDescription d = samples::describe("clinic visit=2 \"final\".mpg", "video/mpeg");
        d.originalBase64 = true;
        d.length = 700;
        const std::string data = samples::binaryBytes(700);
        const ebxml::Message m =
            attachmentMessage(routing, samples::envelope(kAttachmentId, 8), d, data);
        checkForwardReliable(m, "COPC_IN000001UK01", kAttachmentId, routing);
        checkGolden("gp2gp_attachment_message.txt", ebxml::buildMessage(m).body);
        REQUIRE(m.attachments.size() == 1);
        CHECK(m.attachments[0].base64);
        CHECK(m.attachments[0].contentType == "video/mpeg");
        CHECK(m.attachments[0].description == formatAttachmentDescription(d));

        const InboundGp2gp in = viaWire(m);
        CHECK(in.kind == InboundGp2gp::Kind::Attachment);
        REQUIRE(in.description.has_value());
        CHECK(in.description->filename == d.filename);
        CHECK(in.description->length == 700u);
        CHECK(in.description->originalBase64);
        REQUIRE(in.attachments.size() == 1);
        CHECK(in.attachments[0].body == data);
    }

    TEST_CASE("gp2gp an attachment described only as Attachment takes its name from the payload") {
        ebxml::Message m =
            attachmentMessage(samples::senderToRequester(), samples::envelope(kAttachmentId, 8),
                              samples::describe("clinic.mpg", "video/mpeg"), "abc");
        m.attachments[0].description = "Attachment";
        const InboundGp2gp in = viaWire(m);
        CHECK(in.kind == InboundGp2gp::Kind::Attachment);
        REQUIRE(in.description.has_value());
        CHECK(in.description->filename == "clinic.mpg");
        CHECK(in.description->contentType == "video/mpeg");
    }

    TEST_CASE("gp2gp fragment index and its fragments") {
        const Routing routing = samples::senderToRequester();
        AttachmentDescription parent = samples::describe("scan 2003.tif", "image/tiff", true);
        parent.compressed = true;
        parent.length = 25;
        const std::string file = "0123456789abcdefghijklmno";
        const auto ranges = planFragments(file.size(), 10);
        REQUIRE(ranges.size() == kFragmentIds.size());

        const ebxml::Message index =
            fragmentIndexMessage(routing, samples::envelope(kIndexId, 9), parent, kFragmentIds);
        checkForwardReliable(index, "COPC_IN000001UK01", kIndexId, routing);
        CHECK(index.attachments.empty());
        checkGolden("gp2gp_fragment_index_message.txt", ebxml::buildMessage(index).body);
        REQUIRE(index.header.manifest.size() == 3);
        CHECK(index.header.manifest[1].href == "mid:" + kFragmentIds[1]);
        CHECK(index.header.manifest[1].description ==
              "Filename=\"E39E79A2-FA96-48FF-9373-7BBCB9D036E7_1.messageattachment\" "
              "ContentType=image/tiff Compressed=Yes LargeAttachment=No OriginalBase64=No");

        const InboundGp2gp in = viaWire(index);
        CHECK(in.kind == InboundGp2gp::Kind::FragmentIndex);
        CHECK(in.fragmentMessageIds == kFragmentIds);
        REQUIRE(in.description.has_value());
        CHECK(in.description->filename == "scan 2003.tif");
        CHECK(in.description->contentType == "image/tiff");
        CHECK(in.description->compressed);
        CHECK(in.description->largeAttachment);

        std::string joined;
        for (std::size_t i = 0; i < ranges.size(); ++i) {
            CAPTURE(i);
            const std::string data = file.substr(ranges[i].offset, ranges[i].length);
            const ebxml::Message fragment =
                fragmentMessage(routing, samples::envelope(kFragmentIds[i], 10), kIndexId,
                                static_cast<int>(i), data);
            checkForwardReliable(fragment, "COPC_IN000001UK01", kFragmentIds[i], routing);
            if (i == 0) {
                checkGolden("gp2gp_fragment_message.txt", ebxml::buildMessage(fragment).body);
            }
            const InboundGp2gp part = viaWire(fragment);
            CHECK(part.kind == InboundGp2gp::Kind::Fragment);
            CHECK(part.parentMessageId == kIndexId);
            CHECK(part.fragmentIndex == static_cast<int>(i));
            REQUIRE(part.description.has_value());
            CHECK(part.description->filename == fragmentFilename(kIndexId, static_cast<int>(i)));
            CHECK(part.description->length == data.size());
            REQUIRE(part.attachments.size() == 1);
            joined += part.attachments[0].body;
        }
        CHECK(joined == file);
    }

    TEST_CASE("gp2gp fragmentFilename follows the example conversations") {
        CHECK(fragmentFilename("E39E79A2-FA96-48FF-9373-7BBCB9D036E7", 0) ==
              "E39E79A2-FA96-48FF-9373-7BBCB9D036E7_0.messageattachment");
        CHECK(fragmentFilename("P", 12) == "P_12.messageattachment");
    }

    TEST_CASE("gp2gp application ack AA") {
        const Routing routing = samples::requesterToSender();
        const ebxml::Message m = ackMessage(routing, samples::envelope(kAckId, 20),
                                            samples::kExtractMessageId, std::nullopt);
        checkForwardReliable(m, "MCCI_IN010000UK13", kAckId, routing);
        checkGolden("gp2gp_ack_aa_message.txt", ebxml::buildMessage(m).body);

        const InboundGp2gp in = viaWire(m);
        CHECK(in.kind == InboundGp2gp::Kind::Ack);
        CHECK(in.acknowledgedMessageId == samples::kExtractMessageId);
        REQUIRE(in.ack.has_value());
        CHECK(gp::messaging::hl7::toString(in.ack->typeCode) == "AA");
        CHECK(in.ack->messageId == kAckId);
        CHECK(in.ack->details.empty());
    }

    TEST_CASE("gp2gp NACK AE keeps its two-digit reason") {
        const Routing routing = samples::senderToRequester();
        const ebxml::Message m =
            ackMessage(routing, samples::envelope(kAckId, 20), samples::kRequestMessageId,
                       NackReason::PatientNotAtSurgery);
        checkGolden("gp2gp_nack_ae_message.txt", ebxml::buildMessage(m).body);
        CHECK(m.payload.find("code=\"06\"") != std::string::npos);

        const InboundGp2gp in = viaWire(m);
        CHECK(in.kind == InboundGp2gp::Kind::Ack);
        CHECK(in.acknowledgedMessageId == samples::kRequestMessageId);
        REQUIRE(in.ack.has_value());
        CHECK(gp::messaging::hl7::toString(in.ack->typeCode) == "AE");
        REQUIRE(in.ack->details.size() == 1);
        CHECK(in.ack->details[0].code == "06");
        CHECK(in.ack->details[0].codeSystem == "2.16.840.1.113883.2.1.3.2.4.17.101");
        CHECK(in.ack->details[0].displayName == "Patient not at surgery");
        CHECK(nackReasonFromCode(in.ack->details[0].code) == NackReason::PatientNotAtSurgery);
    }

    TEST_CASE("gp2gp planFragments covers the size with contiguous ranges") {
        SUBCASE("exact multiple") {
            const auto r = planFragments(30, 10);
            REQUIRE(r.size() == 3);
            CHECK(r[2].offset == 20);
            CHECK(r[2].length == 10);
        }
        SUBCASE("remainder") {
            const auto r = planFragments(31, 10);
            REQUIRE(r.size() == 4);
            CHECK(r[3].offset == 30);
            CHECK(r[3].length == 1);
        }
        SUBCASE("smaller than one fragment") {
            const auto r = planFragments(5, 10);
            REQUIRE(r.size() == 1);
            CHECK(r[0].offset == 0);
            CHECK(r[0].length == 5);
        }
        SUBCASE("one byte per fragment") {
            CHECK(planFragments(3, 1).size() == 3);
        }
        SUBCASE("zero bytes: nothing to send") {
            CHECK(planFragments(0, 10).empty());
        }
        SUBCASE("large sizes do not overflow") {
            const std::uint64_t size = 5'000'000'000ULL;
            const auto r = planFragments(size, 3'375'000);
            std::uint64_t next = 0;
            for (const ByteRange& range : r) {
                REQUIRE(range.offset == next);
                REQUIRE(range.length > 0);
                REQUIRE(range.length <= 3'375'000u);
                next += range.length;
            }
            CHECK(next == size);
        }
        SUBCASE("a zero maximum is a bug") {
            CHECK_THROWS_AS(planFragments(10, 0), std::invalid_argument);
        }
    }

    TEST_CASE("gp2gp readGp2gpMessage says what is malformed") {
        SUBCASE("unknown interaction") {
            ebxml::Message m = extractMessage();
            m.header.action = "PORX_IN020101SM31";
            const gp::Error e = readError(m);
            CHECK(e.where == "eb:Action");
            CHECK(e.message == "is not a GP2GP interaction: 'PORX_IN020101SM31'");
        }
        SUBCASE("extract with a bad external description") {
            ebxml::Message m = extractMessage();
            m.header.manifest.back().description =
                "Filename=\"x\" ContentType=video/mpeg Compressed=perhaps LargeAttachment=No "
                "OriginalBase64=No";
            const gp::Error e = readError(m);
            CHECK(e.where == std::string("eb:Manifest mid:") + kAttachmentId + " Compressed");
            CHECK(e.message == "must be Yes or No, not 'perhaps'");
        }
        SUBCASE("extract payload that is not an extract") {
            ebxml::Message m = extractMessage();
            m.payload = "<x xmlns=\"urn:hl7-org:v3\"/>";
            CHECK(readError(m).where == "root element");
        }
        SUBCASE("request with a broken payload") {
            ebxml::Message m = ehrRequestMessage(samples::requesterToSender(),
                                                 samples::envelope(samples::kRequestMessageId),
                                                 samples::sampleRequest());
            const std::string nhs = "extension=\"9692294935\"";
            m.payload.replace(m.payload.find(nhs), nhs.size(), "");
            CHECK(readError(m).where == "recordTarget/patient/id/@extension");
        }
        SUBCASE("COPC with nothing in it") {
            ebxml::Message m =
                fragmentIndexMessage(samples::senderToRequester(), samples::envelope(kIndexId, 9),
                                     samples::describe("a.txt", "text/plain"), {});
            const gp::Error e = readError(m);
            CHECK(e.where == "COPC_IN000001UK01");
            CHECK(e.message == "is not a Continue and carries neither an attachment nor fragments");
        }
        SUBCASE("missing payload") {
            ebxml::Message m = extractMessage();
            m.payload.clear();
            m.attachments.clear();
            m.header.manifest.clear();
            auto read = readGp2gpMessage(m, kMaxDecompressed);
            REQUIRE_FALSE(read.ok());
            CHECK(read.error().where == "HL7 payload");
        }
    }
}
