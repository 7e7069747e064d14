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

namespace {

// The schema version this build migrates to, and every version in order, as schema_migrations
// lists them: taken from the migration list so adding a migration does not edit this file.
std::string latestVersion() {
    return std::to_string(sqlite::migrations().back().version);
}

std::string allVersions() {
    std::string versions;
    for (const auto& migration : sqlite::migrations()) {
        versions += (versions.empty() ? "" : ",") + std::to_string(migration.version);
    }
    return versions;
}

} // namespace

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
            CHECK(raw.scalar("SELECT COUNT(*) FROM schema_migrations") == latestVersion());
            CHECK(raw.scalar("SELECT MAX(version) FROM schema_migrations") == latestVersion());
            CHECK(raw.scalar("SELECT applied_at FROM schema_migrations WHERE version = 1") ==
                  firstApplied);
        }
        clock.advance(1h);
        auto again = openSqliteStore(file, clock);
        test::RawDatabase raw(file);
        CHECK(raw.scalar("SELECT COUNT(*) FROM schema_migrations") == latestVersion());
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
                         " AND name IN ('messages', 'audit', 'schema_migrations', 'inbox',"
                         " 'conversations', 'conversation_parts')") == "6");
        CHECK(raw.scalar("SELECT COUNT(*) FROM pragma_table_info('messages')") == "38");
        // Migration 11: the practice of each message and e-RS request, '' the default practice.
        CHECK(raw.scalar("SELECT dflt_value FROM pragma_table_info('messages')"
                         " WHERE name = 'practice'") == "''");
        CHECK(raw.scalar("SELECT COUNT(*) FROM pragma_table_info('ers_requests')"
                         " WHERE name = 'practice'") == "1");
        CHECK(raw.scalar("SELECT COUNT(*) FROM pragma_table_info('agent_flags')") == "3");
        CHECK(raw.scalar("SELECT COUNT(*) FROM pragma_table_info('inbox')") == "16");
        CHECK(raw.scalar("SELECT COUNT(*) FROM pragma_table_info('conversations')") == "19");
        CHECK(raw.scalar("SELECT COUNT(*) FROM pragma_table_info('conversation_parts')") == "11");
        CHECK(raw.scalar("SELECT COUNT(*) FROM pragma_table_info('audit')") == "9");
        CHECK(raw.scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN"
                         " ('messages_claim', 'inbox_state', 'conversations_deadline',"
                         " 'messages_conversation')") == "4");
        CHECK_THROWS_WITH_AS(raw.exec("INSERT INTO inbox (message_id, conversation_id, service,"
                                      " interaction, from_party, content_type, body_file,"
                                      " body_bytes, received_at, keep_until, ack_status,"
                                      " ack_content_type, ack_body, state) VALUES ('X', '', '',"
                                      " '', '', '', '', 0, 0, 0, 202, '', x'', 'lost')"),
                             doctest::Contains("CHECK constraint failed"), std::runtime_error);
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
        const std::string expected =
            "the store's schema is version 99, newer than this gp-agent knows (" + latestVersion() +
            ")";
        CHECK_THROWS_WITH_AS(openSqliteStore(file, clock), doctest::Contains(expected.c_str()),
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

    TEST_CASE("a version 1 store keeps its messages and gains the later tables and columns") {
        test::TempDir dir;
        test::ManualClock clock;
        const auto file = dir.file("agent.db");
        {
            // The file a release with only migration 1 left behind, with one waiting message.
            test::RawDatabase raw(file);
            raw.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
                     " applied_at INTEGER NOT NULL)");
            raw.exec(std::string(sqlite::migrations().front().sql));
            raw.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (1, 5)");
            const std::string now = std::to_string(toEpochMillis(clock.now()));
            const std::string later = std::to_string(toEpochMillis(clock.now() + 1h));
            raw.exec("INSERT INTO messages (message_id, conversation_id, interaction, service,"
                     " business_id, endpoint, soap_action, content_type, body, state, created_at,"
                     " updated_at, expires_at, next_attempt_at) VALUES ('OLD-1', 'C-1',"
                     " 'PORX_IN020101SM31', 'urn:nhs:names:services:mm', 'B', 'https://spine',"
                     " 'urn:a', 'multipart/related', x'6F6C64', 'queued', " +
                     now + ", " + now + ", " + later + ", " + now + ")");
        }
        auto store = openSqliteStore(file, clock);
        test::RawDatabase raw(file);
        CHECK(raw.scalar("SELECT group_concat(version) FROM schema_migrations") == allVersions());
        CHECK(raw.scalar("SELECT applied_at FROM schema_migrations WHERE version = 1") == "5");
        CHECK(raw.scalar("SELECT COUNT(*) FROM pragma_table_info('messages')"
                         " WHERE name IN ('body_file', 'retry_interval_ms')") == "2");
        CHECK(raw.scalar("SELECT COUNT(*) FROM messages WHERE body_file IS NULL") == "1");

        const auto record = store->findMessage("OLD-1");
        REQUIRE(record.has_value());
        CHECK(record->conversationId == "C-1");
        CHECK(test::stateName(record->state) == "queued");
        const auto claimed = store->claimDue("worker-1", 30s, 10);
        REQUIRE(claimed.ok());
        REQUIRE(claimed->size() == 1);
        CHECK(claimed->front().body == "old");
        CHECK(claimed->front().bodyFile.empty());
        CHECK_FALSE(claimed->front().retryInterval.has_value());
        CHECK(store->messagesOf("C-1").size() == 1);
        CHECK(store->listConversations("", 10).empty());
        CHECK(store->pendingInbound(10)->empty());
    }

} // TEST_SUITE
