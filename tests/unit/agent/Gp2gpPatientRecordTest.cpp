#include "../../../agent/src/gp2gp/PatientRecord.hpp"
#include "StoreTestSupport.hpp"

#include <doctest/doctest.h>

#include <fstream>

namespace {

using gp::agent::gp2gp::parsePatientRecord;
using gp::agent::gp2gp::readPatientRecord;

const std::string kNhs = "9449304130";

void writeFile(const std::filesystem::path& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary);
    out << content;
}

std::string recordJson(const std::string& entries, const std::string& attachments = "[]") {
    return R"({"patient": {"nhsNumber": "9449304130", "family": "SMITH", "given": "JANE",
               "birthDate": "1980-04-01", "gender": "female"},
               "compositions": [{"title": "Consultation", "effectiveTime": "2024-01-05",
                                 "author": "DR A JONES", "entries": )" +
           entries + R"(}], "attachments": )" + attachments + "}";
}

const std::string kGoodEntries = R"([
    {"kind": "observation", "code": "27113001", "displayName": "Body weight", "value": "72",
     "unit": "kg"},
    {"kind": "medication", "code": "39732311000001104", "displayName": "Amoxicillin",
     "text": "One capsule three times a day", "effectiveTime": "2024-01-05T09:30:00"},
    {"kind": "allergy", "code": "91936005", "displayName": "Allergy to penicillin"},
    {"kind": "narrative", "text": "Feeling better."}])";

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("gp2gp record.json: a full record reads into compositions and attachments") {
        gp::test::TempDir dir;
        gp::test::SeededRandom random;
        writeFile(dir.file("letter.pdf"), "%PDF-1.4 letter");
        writeFile(
            dir.file("record.json"),
            recordJson(kGoodEntries, R"([{"file": "letter.pdf", "contentType": "application/pdf",
                                            "title": "Discharge letter"}])"));
        auto record = readPatientRecord(dir.path(), kNhs, random);
        REQUIRE(record.ok());
        REQUIRE(record->compositions.size() == 1);
        const auto& composition = record->compositions[0];
        CHECK(composition.effectiveTime == "20240105");
        CHECK(gp::messaging::ids::isUpperCaseUuid(composition.id));
        REQUIRE(composition.entries.size() == 4);
        CHECK(composition.entries[0].effectiveTime == "20240105"); // inherited
        CHECK(composition.entries[1].effectiveTime == "20240105093000");
        CHECK(composition.entries[2].kind == gp::messaging::gp2gp::ClinicalEntry::Kind::Allergy);
        CHECK(composition.entries[3].text == "Feeling better.");
        REQUIRE(record->attachments.size() == 1);
        CHECK(record->attachments[0].filename == "letter.pdf");
        CHECK(record->attachments[0].bytes == 15);
        CHECK(record->attachments[0].title == "Discharge letter");
    }

    TEST_CASE("gp2gp record.json: errors name the field") {
        gp::test::TempDir dir;
        gp::test::SeededRandom random;
        struct Case {
            std::string json;
            std::string where;
            std::string message;
        };
        const Case cases[] = {
            {"{not json", "record.json", ""},
            {R"({"compositions": []})", "patient", "is required"},
            {recordJson(R"([{"kind": "vaccination", "code": "1", "displayName": "x"}])"),
             "compositions[0].entries[0].kind",
             "must be observation, medication, allergy or narrative, not 'vaccination'"},
            {recordJson(R"([{"kind": "observation", "displayName": "Weight"}])"),
             "compositions[0].entries[0].code", "is required"},
            {recordJson(R"([{"kind": "narrative"}])"), "compositions[0].entries[0].text",
             "is required"},
            {recordJson(R"([{"kind": "narrative", "text": "x", "effectiveTime": "05/01/2024"}])"),
             "compositions[0].entries[0].effectiveTime",
             "must be a date YYYY-MM-DD (or YYYYMMDD), optionally with a time"},
            {recordJson(R"([{"kind": "narrative", "text": "x"}])", R"([{"file": "../etc/passwd",
          "contentType": "text/plain"}])"),
             "attachments[0].file", "must name a file in the patient's folder"},
            {recordJson(R"([{"kind": "narrative", "text": "x"}])", R"([{"file": "missing.pdf",
          "contentType": "application/pdf"}])"),
             "attachments[0].file", "no such file in the patient's folder"},
            {recordJson(R"([{"kind": "narrative", "text": "x"}])", R"([{"file": "record.json",
          "contentType": "application/zip"}])"),
             "attachments[0].file", "must name a file in the patient's folder"},
            {R"({"patient": {"nhsNumber": "9449304131"}, "compositions": []})", "patient.nhsNumber",
             "is not a valid NHS number"},
            {R"({"patient": {"nhsNumber": "9434765919"}, "compositions": []})", "patient.nhsNumber",
             "does not match the folder's name"},
            {R"({"patient": {"nhsNumber": "9449304130"}, "compositions": []})", "compositions",
             "must hold at least one composition"},
        };
        for (const auto& c : cases) {
            CAPTURE(c.json);
            auto record = parsePatientRecord(c.json, dir.path(), kNhs, random);
            REQUIRE_FALSE(record.ok());
            CHECK(record.error().where == c.where);
            if (!c.message.empty()) {
                CHECK(record.error().message == c.message);
            }
        }
    }

    TEST_CASE("gp2gp record.json: attachment content types come from Spine's allow-list") {
        gp::test::TempDir dir;
        gp::test::SeededRandom random;
        writeFile(dir.file("scan.zip"), "PK");
        auto record = parsePatientRecord(
            recordJson(R"([{"kind": "narrative", "text": "x"}])",
                       R"([{"file": "scan.zip", "contentType": "application/zip"}])"),
            dir.path(), kNhs, random);
        REQUIRE_FALSE(record.ok());
        CHECK(record.error().where == "attachments[0].contentType");
        CHECK(record.error().message == "'application/zip' is not a content type Spine accepts");
        CHECK(gp::agent::gp2gp::isAllowedAttachmentType("audio/mpeg"));
        CHECK_FALSE(gp::agent::gp2gp::isAllowedAttachmentType("audio/"));
    }

    TEST_CASE("gp2gp record.json: a missing file is reported as unreadable") {
        gp::test::TempDir dir;
        gp::test::SeededRandom random;
        auto record = readPatientRecord(dir.path(), kNhs, random);
        REQUIRE_FALSE(record.ok());
        CHECK(record.error().where == "record.json");
        CHECK(record.error().message == "cannot be read");
    }

} // TEST_SUITE

TEST_SUITE("agent") {

    TEST_CASE("gp2gp record.json: the installer's example record reads") {
        // From the source tree's root, not __FILE__: a compiler cache may make that relative.
        const auto folder = std::filesystem::path(GP_SOURCE_DIR) / "installer" / "examples" /
                            "gp2gp-records" / kNhs;
        gp::test::SeededRandom random;
        auto record = readPatientRecord(folder, kNhs, random);
        REQUIRE_MESSAGE(record.ok(), (record.ok() ? "" : record.error().describe()));
        CHECK(record->compositions.size() == 2);
        CHECK(record->attachments.size() == 2);
    }

} // TEST_SUITE
