// The practices one agent acts for (docs/multi-practice.md): agent.practicesFile's lines, the
// directory built from them and the default practice, and how settings load them.

#include "StoreTestSupport.hpp"

#include <gp/agent/Files.hpp>
#include <gp/agent/config/Practices.hpp>
#include <gp/agent/config/Settings.hpp>

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

using namespace gp::agent;

namespace {

Practice practice(const std::string& ods, const std::string& partyKey,
                  const std::string& asid = "200000000001") {
    return Practice{ods, partyKey, asid, "", ""};
}

gp::Result<LoadedSettings> loadWithPracticesFile(const std::string& file) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> config = new Poco::Util::MapConfiguration;
    config->setString("agent.odsCode", "A83008");
    config->setString("agent.partyKey", "A83008-9199121");
    config->setString("agent.asid", "200000001234");
    config->setString("test.allowPlainHttp", "true");
    if (!file.empty()) {
        config->setString("agent.practicesFile", file);
    }
    return loadSettings(*config);
}

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("a practices file lists practices, certificates optional, comments ignored") {
        const auto parsed =
            parsePracticesFile("# hosted practices\n"
                               "\n"
                               "b81001  B81001-822345 200000000002\n"
                               "  # indented note\n"
                               "C82001\tC82001-1 200000000003 /etc/c.pem /etc/c.key");
        REQUIRE_MESSAGE(parsed.ok(), parsed.error().describe());
        REQUIRE(parsed->size() == 2);
        const Practice& first = (*parsed)[0];
        CHECK(first.odsCode == "B81001"); // upper-cased, as ODS publishes them
        CHECK(first.partyKey == "B81001-822345");
        CHECK(first.asid == "200000000002");
        CHECK(first.certFile.empty());
        CHECK(first.keyFile.empty());
        CHECK((*parsed)[1].certFile == "/etc/c.pem");
        CHECK((*parsed)[1].keyFile == "/etc/c.key");
        CHECK(parsePracticesFile("")->empty());
    }

    TEST_CASE("a bad practices line is refused, naming the line and the field") {
        const auto check = [](const std::string& text, const std::string& where,
                              const std::string& words) {
            const auto parsed = parsePracticesFile(text);
            REQUIRE_FALSE(parsed.ok());
            CHECK(parsed.error().where == where);
            CHECK_MESSAGE(parsed.error().message.find(words) != std::string::npos,
                          parsed.error().message);
        };
        check("B81001 B81001-1\n", "line 1", "ODS PARTYKEY ASID");
        check("# x\nB81001 B81001-1 2000 /c.pem\n", "line 2", "needs its key file");
        check("B81001 B81001-1 2000 /c.pem /c.key extra\n", "line 1", "found 6 field(s)");
        check("B8! B81001-1 2000\n", "line 1", "ODS code 'B8!'");
        check("B81001 B81001 2000\n", "line 1", "party key 'B81001'");
        check("B81001 B81001-1 20x0\n", "line 1", "ASID '20x0'");
        check("B81001 B81001-1 2000\nb81001 B81001-2 2001\n", "line 2",
              "ODS code B81001 is listed twice");
        check("B81001 B81001-1 2000\nC82001 B81001-1 2001\n", "line 2",
              "party key B81001-1 is already practice B81001's");
    }

    TEST_CASE("the directory finds practices by ODS code in any case, and by party key") {
        const PracticeDirectory directory(
            {practice("A83008", "A83008-9199121"), practice("B81001", "B81001-822345")});
        CHECK(directory.defaultPractice().odsCode == "A83008");
        REQUIRE(directory.byOdsCode("b81001") != nullptr);
        CHECK(directory.byOdsCode("b81001")->partyKey == "B81001-822345");
        CHECK(directory.byOdsCode("Z99999") == nullptr);
        REQUIRE(directory.byPartyKey("A83008-9199121") != nullptr);
        CHECK(directory.byPartyKey("A83008-9199121")->odsCode == "A83008");
        CHECK(directory.byPartyKey("a83008-9199121") == nullptr); // party keys are exact
        CHECK(directory.all().size() == 2);
        CHECK(sameOdsCode("a83008", "A83008"));
        CHECK_FALSE(sameOdsCode("A83008", "A8300"));
    }

    TEST_CASE("the directory refuses no practice, a missing field and a practice twice") {
        const auto refused = [](std::vector<Practice> practices, const std::string& words) {
            try {
                PracticeDirectory directory(std::move(practices));
                FAIL("accepted");
            } catch (const std::invalid_argument& e) {
                CHECK_MESSAGE(std::string(e.what()).find(words) != std::string::npos, e.what());
            }
        };
        refused({}, "no practice");
        refused({practice("", "X-1")}, "practice 1 has no ODS code");
        refused({practice("A83008", "")}, "practice A83008 has no party key");
        refused({practice("A83008", "A83008-1", "")}, "practice A83008 has no ASID");
        refused({practice("A83008", "A83008-1"), practice("a83008", "A83008-2")},
                "practice a83008 is listed twice");
        refused({practice("A83008", "A83008-1"), practice("B81001", "A83008-1")},
                "already practice A83008's");
    }

    TEST_CASE("agent.* stays the default practice; agent.practicesFile adds the others") {
        const auto single = loadWithPracticesFile("");
        REQUIRE_MESSAGE(single.ok(), single.error().describe());
        REQUIRE(single->settings.practices.size() == 1);
        CHECK(single->settings.practices[0].odsCode == "A83008");
        CHECK(single->settings.practices[0].partyKey == "A83008-9199121");
        CHECK(single->settings.practices[0].asid == "200000001234");

        gp::test::TempDir dir;
        const auto file = dir.file("practices");
        writeFileAtomically(file, "B81001 B81001-822345 200000000002\n", 0600);
        const auto hosted = loadWithPracticesFile(file.string());
        REQUIRE_MESSAGE(hosted.ok(), hosted.error().describe());
        const PracticeDirectory directory(practicesOf(hosted->settings));
        CHECK(directory.defaultPractice().odsCode == "A83008");
        REQUIRE(directory.byOdsCode("B81001") != nullptr);
        CHECK(directory.byOdsCode("B81001")->asid == "200000000002");

        // The default practice listed again in the file is a practice twice.
        writeFileAtomically(file, "a83008 A83008-1 200000000002\n", 0600);
        const auto twice = loadWithPracticesFile(file.string());
        REQUIRE_FALSE(twice.ok());
        CHECK(twice.error().where == "agent.practicesFile");
        CHECK(twice.error().message.find("listed twice") != std::string::npos);

        writeFileAtomically(file, "B81001 B81001-822345\n", 0600);
        const auto bad = loadWithPracticesFile(file.string());
        REQUIRE_FALSE(bad.ok());
        CHECK(bad.error().where == "agent.practicesFile");
        CHECK(bad.error().message.find(file.string() + " line 1: must be ODS PARTYKEY ASID") !=
              std::string::npos);

        const auto missing = loadWithPracticesFile((dir.path() / "nowhere").string());
        REQUIRE_FALSE(missing.ok());
        CHECK(missing.error().message.find("cannot read") != std::string::npos);

        // Settings made by hand name their one practice through agent.* alone.
        AgentSettings byHand;
        byHand.odsCode = "C82001";
        byHand.partyKey = "C82001-1";
        byHand.asid = "1";
        REQUIRE(practicesOf(byHand).size() == 1);
        CHECK(practicesOf(byHand)[0].odsCode == "C82001");
    }
}
