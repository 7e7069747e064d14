// gp-agentctl backup: a copy of the state directory taken while the agent accepts and sends
// messages, and an agent started on the restored copy carrying on from it.

#include "ProcessHarness.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace gp::test;

namespace {

// Submits prescriptions one after another until told to stop, keeping the accepted ids.
class SubmissionLoad {
public:
    explicit SubmissionLoad(const Agent& agent)
        : m_thread([this, &agent] {
              while (!m_stop) {
                  const auto reply = agent.submit(prescriptionJson());
                  if (reply.status == 202) {
                      const auto id =
                          parseJsonObject(reply.body)->getValue<std::string>("messageId");
                      const std::lock_guard lock(m_mutex);
                      m_accepted.push_back(id);
                  }
              }
          }) {}
    ~SubmissionLoad() { stop(); }
    SubmissionLoad(const SubmissionLoad&) = delete;
    SubmissionLoad& operator=(const SubmissionLoad&) = delete;

    void stop() {
        m_stop = true;
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }
    std::vector<std::string> accepted() {
        const std::lock_guard lock(m_mutex);
        return m_accepted;
    }

private:
    std::atomic<bool> m_stop{false};
    std::mutex m_mutex;
    std::vector<std::string> m_accepted;
    std::thread m_thread;
};

// The message ids a database file holds.
std::vector<std::string> messageIdsIn(const std::filesystem::path& database) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT message_id FROM messages", -1, &statement, nullptr) ==
            SQLITE_OK);
    std::vector<std::string> ids;
    while (sqlite3_step(statement) == SQLITE_ROW) {
        ids.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)));
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return ids;
}

bool contains(const std::vector<std::string>& ids, const std::string& id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("gp-agentctl backup copies the state of a busy agent, and an agent restored from it "
              "carries on" *
              doctest::test_suite("sqlite-only")) {
        TempDir dir("gp-backup");
        SpineMock mock(dir.path() / "mock");
        mock.start();
        // Some messages are still waiting for a retry when the backup is taken.
        mock.injectFault(R"({"interaction": "PORX_IN020101SM31", "times": 5,)"
                         R"( "fault": {"type": "http", "status": 503}})");
        Agent agent(dir.path() / "agent", mock.baseUrl(),
                    "retry.baseDelay = PT0.1S\nretry.maxDelay = PT0.2S\n");
        agent.start();

        SubmissionLoad load(agent);
        REQUIRE(waitUntil([&] { return load.accepted().size() >= 10; }));
        const auto acceptedBefore = load.accepted();
        const auto backupDir = dir.path() / "backup";
        const auto backedUp = runAgentCtl(agent.configFile(), {"backup", backupDir.string()});
        const auto acceptedAfter = load.accepted();
        REQUIRE(waitUntil([&] { return load.accepted().size() >= acceptedAfter.size() + 5; }));
        load.stop();
        REQUIRE_MESSAGE(backedUp.exitCode == 0, backedUp.output);
        CHECK(backedUp.output.find("backed up") != std::string::npos);

        // None of the live process's files (checked before anything reads the copy: a read of a
        // WAL database makes its -wal and -shm).
        CHECK(std::filesystem::exists(backupDir / "api-token"));
        CHECK_FALSE(std::filesystem::exists(backupDir / "agent.lock"));
        CHECK_FALSE(std::filesystem::exists(backupDir / "gp-agent.db-wal"));
        CHECK((std::filesystem::status(backupDir).permissions() &
               std::filesystem::perms::others_all) == std::filesystem::perms::none);
        // The copy is the database at one instant: everything accepted before the backup began,
        // nothing accepted after it ended.
        const auto inBackup = messageIdsIn(backupDir / "gp-agent.db");
        for (const auto& id : acceptedBefore) {
            CHECK_MESSAGE(contains(inBackup, id), id);
        }
        // (+1: the one submission in flight may be stored before its 202 reaches the loader.)
        CHECK(inBackup.size() <= acceptedAfter.size() + 1);
        const auto again = runAgentCtl(agent.configFile(), {"backup", backupDir.string()});
        CHECK(again.exitCode != 0);
        CHECK(again.output.find("already exists") != std::string::npos);
        CHECK(agent.stop() == 0);

        // Restore: the backup's files become a state directory, and an agent started on it sends
        // what was still waiting and proves the audit chain unbroken.
        const auto restoredDir = dir.path() / "restored";
        std::filesystem::copy(backupDir, restoredDir, std::filesystem::copy_options::recursive);
        Agent restored(restoredDir, mock.baseUrl());
        restored.start();
        for (const auto& id : inBackup) {
            CHECK_MESSAGE(restored.waitForState(id, "acked"), id);
        }
        const auto verified = runAgentCtl(restored.configFile(), {"audit", "verify"});
        CHECK_MESSAGE(verified.exitCode == 0, verified.output);
        CHECK(verified.output.find("audit trail intact") != std::string::npos);
        CHECK(messageIdsIn(restoredDir / "gp-agent.db").size() == inBackup.size());
    }
}
