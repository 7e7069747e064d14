#include "../../../agent/src/store/Migrations.hpp"

#include "StoreTestSupport.hpp"

#include <gp/agent/store/Store.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>

using namespace gp;
using namespace gp::agent;
using namespace std::chrono_literals;

TEST_SUITE("agent") {

    TEST_CASE("migrations are numbered from 1 without gaps") {
        const auto& all = sqlite::migrations();
        REQUIRE_FALSE(all.empty());
        for (std::size_t i = 0; i < all.size(); ++i) {
            CHECK(all[i].version == static_cast<int>(i) + 1);
            CHECK_FALSE(all[i].sql.empty());
        }
    }

    TEST_CASE("a new store is migrated once and reopening applies nothing") {
        test::TempDir dir;
        test::ManualClock clock;
        const auto file = dir.file("agent.db");
        const std::string firstApplied = std::to_string(toEpochMillis(clock.now()));
        openSqliteStore(file, clock).reset();
        {
            test::RawDatabase raw(file);
            CHECK(raw.scalar("SELECT COUNT(*) FROM schema_migrations") == "1");
            CHECK(raw.scalar("SELECT MAX(version) FROM schema_migrations") == "1");
            CHECK(raw.scalar("SELECT applied_at FROM schema_migrations WHERE version = 1") ==
                  firstApplied);
        }
        clock.advance(1h);
        auto again = openSqliteStore(file, clock);
        test::RawDatabase raw(file);
        CHECK(raw.scalar("SELECT COUNT(*) FROM schema_migrations") == "1");
        CHECK(raw.scalar("SELECT applied_at FROM schema_migrations WHERE version = 1") ==
              firstApplied);
    }

    TEST_CASE("the store file is in WAL mode with the expected tables") {
        test::TempDir dir;
        test::ManualClock clock;
        const auto file = dir.file("agent.db");
        auto store = openSqliteStore(file, clock);
        test::RawDatabase raw(file);
        CHECK(raw.scalar("PRAGMA journal_mode") == "wal");
        CHECK(raw.scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                         " AND name IN ('messages', 'audit', 'schema_migrations')") == "3");
        CHECK(raw.scalar("SELECT COUNT(*) FROM pragma_table_info('messages')") == "23");
        CHECK(raw.scalar("SELECT COUNT(*) FROM pragma_table_info('audit')") == "8");
        CHECK(raw.scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index'"
                         " AND name = 'messages_claim'") == "1");
        // The state column takes only the six state names.
        CHECK_THROWS_WITH_AS(
            raw.exec(
                "INSERT INTO messages (message_id, conversation_id, interaction, service,"
                " business_id, endpoint, soap_action, content_type, body, state, created_at,"
                " updated_at, expires_at) VALUES ('X', '', '', '', '', '', '', '', x'', 'lost',"
                " 0, 0, 0)"),
            doctest::Contains("CHECK constraint failed"), std::runtime_error);
    }

    TEST_CASE("a store from a newer gp-agent is refused") {
        test::TempDir dir;
        test::ManualClock clock;
        const auto file = dir.file("agent.db");
        openSqliteStore(file, clock).reset();
        test::RawDatabase(file).exec(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)");
        CHECK_THROWS_WITH_AS(openSqliteStore(file, clock),
                             doctest::Contains("the store's schema is version 99, newer than this"
                                               " gp-agent knows (1)"),
                             std::runtime_error);
    }

    TEST_CASE("a read-only open does not migrate") {
        test::TempDir dir;
        test::ManualClock clock;
        const auto file = dir.file("agent.db");
        test::RawDatabase(file).exec("CREATE TABLE unrelated (x)");
        auto store = openSqliteStoreReadOnly(file, clock);
        CHECK(test::RawDatabase(file).scalar(
                  "SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_migrations'") == "0");
        CHECK_FALSE(store->verifyAudit().intact); // no audit table to read
    }

} // TEST_SUITE
