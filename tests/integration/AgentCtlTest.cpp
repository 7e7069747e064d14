// gp-agentctl as an IT lead uses it: submit, show, status, and proving the audit trail.

#include "ProcessHarness.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace gp::test;

namespace {

// Alters one audit row behind the agent's back, as someone with the database file could.
void tamper(const std::filesystem::path& database, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(database.c_str(), &db) == SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    const std::string message = error ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    REQUIRE_MESSAGE(rc == SQLITE_OK, message);
}

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("gp-agentctl submits, shows and reports status over the local API") {
        TempDir dir("gp-ctl");
        SpineMock mock(dir.path() / "mock");
        mock.start();
        Agent agent(dir.path() / "agent", mock.baseUrl());
        agent.start();

        const auto file = dir.path() / "prescription.json";
        std::ofstream(file) << prescriptionJson();
        auto submitted =
            runAgentCtl(agent.configFile(), {"--json", "submit", "eps", file.string()});
        REQUIRE_MESSAGE(submitted.exitCode == 0, submitted.output);
        const auto messageId =
            parseJsonObject(submitted.output)->getValue<std::string>("messageId");
        REQUIRE(agent.waitForState(messageId, "acked"));

        auto shown = runAgentCtl(agent.configFile(), {"show", messageId});
        CHECK(shown.exitCode == 0);
        CHECK(shown.output.find("state        acked") != std::string::npos);
        CHECK(shown.output.find("accepted") != std::string::npos);

        auto status = runAgentCtl(agent.configFile(), {"status"});
        CHECK(status.exitCode == 0);
        CHECK(status.output.find("acked: 1") != std::string::npos);

        std::ofstream(file) << R"({"patient": {"nhsNumber": "123"}})";
        auto refused = runAgentCtl(agent.configFile(), {"submit", "eps", file.string()});
        CHECK(refused.exitCode == 1);
        CHECK(refused.output.find("patient.nhsNumber") != std::string::npos);
    }

    TEST_CASE("audit verify passes on a real history and names the row someone altered" *
              doctest::test_suite("sqlite-only")) {
        TempDir dir("gp-audit");
        SpineMock mock(dir.path() / "mock");
        mock.start();
        mock.injectFault(
            R"({"interaction": "*", "times": 1, "fault": {"type": "http", "status": 503}})");
        Agent agent(dir.path() / "agent", mock.baseUrl());
        agent.start();
        for (int i = 0; i < 3; ++i) {
            auto reply = agent.submit(prescriptionJson());
            REQUIRE(reply.status == 202);
            const auto id = parseJsonObject(reply.body)->getValue<std::string>("messageId");
            REQUIRE(agent.waitForState(id, "acked"));
        }

        auto listed = runAgentCtl(agent.configFile(), {"audit", "list"});
        CHECK(listed.exitCode == 0);
        CHECK(listed.output.find("retry-scheduled") != std::string::npos);

        auto intact = runAgentCtl(agent.configFile(), {"audit", "verify"});
        CHECK_MESSAGE(intact.exitCode == 0, intact.output);
        CHECK(intact.output.find("audit trail intact") != std::string::npos);

        agent.stop();
        tamper(agent.stateDir() / "gp-agent.db",
               "UPDATE audit SET detail = 'nothing to see' WHERE seq = 4");
        auto broken = runAgentCtl(agent.configFile(), {"audit", "verify"});
        CHECK(broken.exitCode == 1);
        CHECK_MESSAGE(broken.output.find("BROKEN at row 4") != std::string::npos, broken.output);
    }

    TEST_CASE("gp-agentctl audit verify and export name the missing database and write nothing" *
              doctest::test_suite("sqlite-only")) {
        TempDir dir("gp-no-db");
        const auto config = dir.path() / "agent.properties";
        std::ofstream(config) << "agent.stateDir = " << dir.path().string()
                              << "\nagent.odsCode = A83008\nagent.partyKey = A83008-9199121\n"
                                 "agent.asid = 200000001234\nspine.url = http://127.0.0.1:9\n"
                                 "test.allowPlainHttp = true\n";
        const auto exportFile = dir.path() / "audit.jsonl";
        for (const auto& args : std::vector<std::vector<std::string>>{
                 {"audit", "verify"}, {"audit", "export", exportFile.string()}}) {
            CAPTURE(args[1]);
            const auto result = runAgentCtl(config, args);
            CHECK(result.exitCode == 2);
            CHECK_MESSAGE(
                result.output.find("no database at " + (dir.path() / "gp-agent.db").string()) !=
                    std::string::npos,
                result.output);
        }
        CHECK_FALSE(std::filesystem::exists(exportFile));
        CHECK_FALSE(std::filesystem::exists(dir.path() / "gp-agent.db"));
    }

} // TEST_SUITE
