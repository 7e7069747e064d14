#include "Golden.hpp"
#include "Gp2gpSamples.hpp"

#include <gp/messaging/gp2gp/EhrExtract.hpp>
#include <gp/messaging/xml/SafeXml.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace gp::messaging::gp2gp;
using gp::test::checkGolden;
using gp::test::gp2gp::binaryBytes;
using gp::test::gp2gp::sampleExtract;

TEST_SUITE("messaging") {

    TEST_CASE("gp2gp buildEhrExtract matches the golden file") {
        checkGolden("gp2gp_ehr_extract.xml", buildEhrExtract(sampleExtract()));
    }

    TEST_CASE("gp2gp buildEhrExtract carries the record's structure") {
        const EhrExtractSpec spec = sampleExtract();
        auto doc = gp::messaging::xml::parse(buildEhrExtract(spec));
        REQUIRE(doc.ok());
        CHECK(doc->rootName() == "RCMR_IN030000UK06");
        const std::string x = "/*/hl7:ControlActEvent/hl7:subject/hl7:EhrExtract";
        CHECK(doc->text(x + "/hl7:id/@root") == spec.extractId);
        CHECK(doc->text(x + "/hl7:statusCode/@code") == "COMPLETE");
        CHECK(doc->text(x + "/hl7:recordTarget/hl7:patient/hl7:id/@extension") == spec.nhsNumber);
        CHECK(doc->text(x + "/hl7:author//hl7:agentOrganizationSDS/hl7:id/@extension") == "B86041");
        CHECK(doc->text(x + "/hl7:destination//hl7:agentOrganizationSDS/hl7:id/@extension") ==
              "N82668");
        CHECK(doc->text(x + "/hl7:inFulfillmentOf/hl7:priorEhrRequest/hl7:id/@root") ==
              spec.requestId);

        const std::string folder = x + "/hl7:component/hl7:ehrFolder";
        // Two compositions from the record plus one holding the documents.
        CHECK(doc->count(folder + "/hl7:component/hl7:ehrComposition") == 3);
        CHECK(doc->text(folder + "/hl7:component[1]/hl7:ehrComposition/hl7:id/@root") ==
              spec.compositions[0].id);

        const std::string obs =
            "//hl7:ObservationStatement[hl7:id/@root='" + spec.compositions[0].entries[0].id + "']";
        CHECK(doc->text(obs + "/hl7:code/@code") == "27113001");
        CHECK(doc->text(obs + "/hl7:value/@value") == "72.5");
        CHECK(doc->text(obs + "/hl7:value/@unit") == "kg");
        CHECK(doc->text(obs + "//hl7:pertinentAnnotation/hl7:text") == "Weighed in clinic");

        CHECK(doc->text("//hl7:MedicationStatement/hl7:consumable//hl7:code/@code") ==
              "39732311000001104");
        CHECK(doc->text("//hl7:MedicationStatement//hl7:pertinentMedicationDosage/hl7:text") ==
              "1 three times a day for 7 days");

        const std::string allergy = "//hl7:CompoundStatement[@classCode='CATEGORY']";
        CHECK(doc->text(allergy + "/hl7:code/@code") == "SN53.00");
        CHECK(doc->text(allergy + "//hl7:ObservationStatement/hl7:code/@code") == "91936005");
        CHECK(doc->text(allergy + "//hl7:pertinentAnnotation/hl7:text") ==
              "Rash <2 days> & itching");

        CHECK(doc->text("//hl7:NarrativeStatement[hl7:id/@root='" +
                        spec.compositions[0].entries[3].id + "']/hl7:text") ==
              "Patient reports feeling much better.");

        // Every document is a NarrativeStatement whose external reference is its href.
        CHECK(doc->texts("//hl7:referredToExternalDocument/hl7:text/hl7:reference/@value") ==
              std::vector<std::string>{"cid:letter-1@gp-agent", "cid:note-2@gp-agent",
                                       "mid:E39E79A2-FA96-48FF-9373-7BBCB9D036E7",
                                       "mid:A7B6C8EC-5AB4-4BF3-BB72-5D76E5D205A4"});
        CHECK(doc->text("//hl7:NarrativeStatement[hl7:id/@root='" + spec.documents[0].documentId +
                        "']//hl7:referredToExternalDocument/hl7:text/@mediaType") ==
              "application/pdf");

        // A composition author refers to an Agent of the directory.
        const auto agentRef = doc->text(folder + "/hl7:component[1]/hl7:ehrComposition/"
                                                 "hl7:author/hl7:agentRef/hl7:id/@root");
        REQUIRE(agentRef.has_value());
        CHECK(doc->text("//hl7:agentDirectory/hl7:part/hl7:Agent[hl7:id/@root='" + *agentRef +
                        "']/hl7:agentPerson/hl7:name") == "Dr Emma Anderson");
    }

    TEST_CASE("gp2gp buildEhrExtract is deterministic") {
        CHECK(buildEhrExtract(sampleExtract()) == buildEhrExtract(sampleExtract()));
        EhrExtractSpec other = sampleExtract();
        other.extractId = "11111111-2222-4333-8444-555555555555";
        // Derived ids follow the extract id, so two extracts never share them.
        auto a = gp::messaging::xml::parse(buildEhrExtract(sampleExtract()));
        auto b = gp::messaging::xml::parse(buildEhrExtract(other));
        REQUIRE(a.ok());
        REQUIRE(b.ok());
        CHECK(a->text("//hl7:ehrFolder/hl7:id/@root") != b->text("//hl7:ehrFolder/hl7:id/@root"));
    }

    TEST_CASE("gp2gp parseEhrExtract round trips buildEhrExtract") {
        const EhrExtractSpec spec = sampleExtract();
        auto s = parseEhrExtract(buildEhrExtract(spec));
        REQUIRE_MESSAGE(s.ok(), s.error().describe());
        CHECK(s->messageId == spec.messageId);
        CHECK(s->extractId == spec.extractId);
        CHECK(s->requestId == spec.requestId);
        CHECK(s->nhsNumber == spec.nhsNumber);
        CHECK(s->senderOds == spec.senderOds);
        CHECK(s->requesterOds == spec.requesterOds);
        REQUIRE(s->documentHrefs.size() == 4);
        CHECK(s->documentHrefs[2] == "mid:E39E79A2-FA96-48FF-9373-7BBCB9D036E7");
    }

    TEST_CASE("gp2gp buildSkeletonExtract keeps the ids and refers to the compressed original") {
        const EhrExtractSpec spec = sampleExtract();
        const std::string xml = buildSkeletonExtract(spec, "cid:skeleton@gp-agent");
        checkGolden("gp2gp_skeleton_extract.xml", xml);
        auto s = parseEhrExtract(xml);
        REQUIRE_MESSAGE(s.ok(), s.error().describe());
        CHECK(s->extractId == spec.extractId);
        CHECK(s->requestId == spec.requestId);
        CHECK(s->nhsNumber == spec.nhsNumber);
        CHECK(s->documentHrefs == std::vector<std::string>{"cid:skeleton@gp-agent"});
        auto doc = gp::messaging::xml::parse(xml);
        REQUIRE(doc.ok());
        CHECK(doc->count("//hl7:ehrComposition") == 1);
        CHECK(doc->count("//hl7:ObservationStatement") == 0);
        CHECK(doc->text("//hl7:NarrativeStatement/hl7:text") == "Skeleton statement");
    }

    TEST_CASE("gp2gp parseEhrExtract reads UK07 and tolerates null request ids") {
        std::string xml = buildEhrExtract(sampleExtract());
        for (std::string::size_type at;
             (at = xml.find("RCMR_IN030000UK06")) != std::string::npos;) {
            xml.replace(at, 17, "RCMR_IN030000UK07");
        }
        const std::string requestId = "<id root=\"041CA2AE-3EC6-4AC9-942F-0F6621CC0BFC\"/>";
        xml.replace(xml.find(requestId), requestId.size(), "<id nullFlavor=\"UNK\"/>");
        auto s = parseEhrExtract(xml);
        REQUIRE_MESSAGE(s.ok(), s.error().describe());
        CHECK(s->requestId.empty());
        CHECK(s->extractId == sampleExtract().extractId);
    }

    TEST_CASE("gp2gp parseEhrExtract names what is missing") {
        std::string xml = buildEhrExtract(sampleExtract());
        const std::string nhs = "extension=\"9692294935\"";
        xml.replace(xml.find(nhs), nhs.size(), "");
        auto s = parseEhrExtract(xml);
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().where == "EhrExtract/recordTarget/patient/id/@extension");

        auto wrong = parseEhrExtract("<RCMR_IN010000UK05 xmlns=\"urn:hl7-org:v3\"/>");
        REQUIRE_FALSE(wrong.ok());
        CHECK(wrong.error().where == "root element");
    }

    TEST_CASE("gp2gp gzip round trips text and binary") {
        for (const std::string& original :
             {std::string(), std::string("hello"), binaryBytes(300'000),
              buildEhrExtract(sampleExtract())}) {
            const std::string packed = gzipCompress(original);
            REQUIRE(packed.size() >= 18);
            // The gzip (RFC 1952) magic, not zlib's own header.
            CHECK(static_cast<unsigned char>(packed[0]) == 0x1F);
            CHECK(static_cast<unsigned char>(packed[1]) == 0x8B);
            auto unpacked = gzipDecompress(packed, original.size());
            REQUIRE_MESSAGE(unpacked.ok(), unpacked.error().describe());
            CHECK(*unpacked == original);
        }
        const std::string text(100'000, 'a');
        CHECK(gzipCompress(text).size() < 1'000);
    }

    TEST_CASE("gp2gp gzipDecompress refuses output past the bound") {
        // 64 MB of zeros packs into about 64 KB: a small bomb.
        const std::string bomb = gzipCompress(std::string(64u * 1024 * 1024, '\0'));
        CHECK(bomb.size() < 200'000);
        auto r = gzipDecompress(bomb, 1024 * 1024);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().where == "gzip");
        CHECK(r.error().message == "decompresses to more than 1048576 bytes");

        // Exactly at the bound is fine; one byte under is not.
        const std::string packed = gzipCompress("0123456789");
        CHECK(gzipDecompress(packed, 10).ok());
        CHECK_FALSE(gzipDecompress(packed, 9).ok());
    }

    TEST_CASE("gp2gp gzipDecompress rejects damaged input") {
        const std::string packed = gzipCompress(binaryBytes(10'000));
        SUBCASE("not gzip") {
            auto r = gzipDecompress("plain text, not gzip", 1'000);
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "gzip");
        }
        SUBCASE("truncated") {
            auto r = gzipDecompress(std::string_view(packed).substr(0, packed.size() / 2), 20'000);
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().message == "ends before the end of the compressed stream");
        }
        SUBCASE("empty") {
            CHECK_FALSE(gzipDecompress("", 1'000).ok());
        }
        SUBCASE("corrupted checksum") {
            std::string bad = packed;
            bad[bad.size() - 6] = static_cast<char>(bad[bad.size() - 6] ^ 0xFF);
            CHECK_FALSE(gzipDecompress(bad, 20'000).ok());
        }
        SUBCASE("trailing bytes") {
            auto r = gzipDecompress(packed + "junk", 20'000);
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().message == "4 bytes follow the end of the compressed stream");
        }
    }
}
