// gp-agentctl backup's copy of the state directory (the busy-agent case is in
// tests/integration/BackupTest.cpp).

#include "StoreTestSupport.hpp"

#include <gp/agent/store/StateBackup.hpp>

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

using namespace gp;
using namespace gp::agent;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

void writeFile(const fs::path& file, const std::string& content) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << content;
}

std::string readFile(const fs::path& file) {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("a backup holds the database and the payload files, not the live process's files") {
        test::TempDir dir;
        const auto state = dir.path() / "state";
        fs::create_directories(state);
        test::ManualClock clock;
        {
            auto store = openSqliteStore(state / "gp-agent.db", clock);
            REQUIRE(
                store->enqueue(test::makeMessage("MSG-1", clock.now()), test::apiEvent("MSG-1")));
            writeFile(state / "inbox" / "IN-1", "received body");
            writeFile(state / "gp2gp" / "CONV-1" / "part-1", "fragment");
            writeFile(state / "api-token", "secret\n");
            writeFile(state / "agent.lock", "");
            writeFile(state / "ports.json", R"({"api": 1})");

            const auto backup = dir.path() / "backup";
            const auto report = backupStateDirectory(state, backup);
            CHECK(report.databasePages > 0);
            CHECK(report.filesCopied == 3);
            CHECK(readFile(backup / "inbox" / "IN-1") == "received body");
            CHECK(readFile(backup / "gp2gp" / "CONV-1" / "part-1") == "fragment");
            CHECK(readFile(backup / "api-token") == "secret\n");
            CHECK_FALSE(fs::exists(backup / "agent.lock"));
            CHECK_FALSE(fs::exists(backup / "ports.json"));
            CHECK_FALSE(fs::exists(backup / "gp-agent.db-wal"));
            // It holds the tokens: nobody but its owner may look inside.
            CHECK((fs::status(backup).permissions() &
                   (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
        }
        // The copy is a store of its own, with the message and an intact audit trail.
        auto copy = openSqliteStore(dir.path() / "backup" / "gp-agent.db", clock);
        REQUIRE(copy->findMessage("MSG-1").has_value());
        CHECK(copy->verifyAudit().intact);
    }

    TEST_CASE("a backup refuses a destination that exists and names a missing database") {
        test::TempDir dir;
        fs::create_directories(dir.path() / "state");
        fs::create_directories(dir.path() / "taken");
        CHECK_THROWS_WITH_AS(backupStateDirectory(dir.path() / "state", dir.path() / "taken"),
                             doctest::Contains("already exists"), std::runtime_error);
        CHECK_THROWS_WITH_AS(backupStateDirectory(dir.path() / "state", dir.path() / "new"),
                             doctest::Contains("no database at"), std::runtime_error);
    }

    TEST_CASE("WAL files a root backup makes beside a stopped agent's database go to its user") {
        if (::geteuid() != 0) {
            MESSAGE("skipped: needs root to own files as another user");
            return;
        }
        test::TempDir dir;
        const auto state = dir.path() / "state";
        fs::create_directories(state);
        test::ManualClock clock;
        { auto store = openSqliteStore(state / "gp-agent.db", clock); } // closed: no -wal, -shm
        constexpr uid_t kAgentUser = 65534;
        REQUIRE(::chown(state.c_str(), kAgentUser, kAgentUser) == 0);
        REQUIRE_FALSE(fs::exists(state / "gp-agent.db-shm"));

        backupStateDirectory(state, dir.path() / "backup");
        // SQLite leaves the shared-memory file behind a read of a WAL database.
        REQUIRE(fs::exists(state / "gp-agent.db-shm"));
        for (const char* name : {"gp-agent.db-wal", "gp-agent.db-shm"}) {
            struct stat info {};
            if (::stat((state / name).c_str(), &info) == 0) {
                INFO(name);
                CHECK(info.st_uid == kAgentUser);
                CHECK((info.st_mode & 0007) == 0);
            }
        }
    }
}
