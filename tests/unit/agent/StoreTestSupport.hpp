#pragma once

// Shared by the store's test files: a fresh store per test (SQLite, or PostgreSQL in the agent-pg
// run), messages to enqueue, and raw sqlite3 access to the file for the tests that play an
// intruder or inspect the schema. Test cases that use the Store interface alone belong to the
// doctest suite "store-contract", which runs on both engines (docs/testing.md).

#include "PostgresTestDatabase.hpp"
#include "TestDoubles.hpp"

#include <gp/agent/store/Store.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace gp::test {

class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "gp-store-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        m_path = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path file(const std::string& name) const { return m_path / name; }

private:
    std::filesystem::path m_path;
};

/// The instance name the store tests give a PostgreSQL store (its audit chain).
inline constexpr const char* kTestInstance = "test";

/// Where a test's store keeps its state: the SQLite file `sqliteFile`, unless the run sets
/// GP_TEST_STORE_ENGINE=postgresql (ctest -L agent-pg): then a fresh schema of the test server,
/// dropped with this object, the store opened as instance kTestInstance. Declare it after the
/// directory that holds the file and before the store.
class TestStoreState {
public:
    explicit TestStoreState(std::filesystem::path sqliteFile) : m_file(std::move(sqliteFile)) {
        if (storeTestsUsePostgres()) {
            m_postgres.emplace();
        }
    }

    /// Opens a store on this state; close the previous one first (a PostgreSQL instance name is
    /// held while its store is open, as a SQLite file is by its process).
    std::unique_ptr<agent::Store> open(const agent::Clock& clock) const {
        if (m_postgres) {
            return agent::openPostgresStore(m_postgres->url(), kTestInstance, clock);
        }
        return agent::openSqliteStore(m_file, clock);
    }
    /// The schema, in the agent-pg run; null on SQLite.
    PostgresTestDatabase* postgres() { return m_postgres ? &*m_postgres : nullptr; }

private:
    std::filesystem::path m_file;
    std::optional<PostgresTestDatabase> m_postgres;
};

/// A fresh store (see TestStoreState) on a manual clock, with seeded ids, and a fresh directory
/// for the files a test writes (large bodies). The members are built in this order because the
/// file lives in the directory, and the store reads the clock and lives in the file or schema.
struct OpenStore {
    TempDir dir;
    ManualClock clock;
    SeededRandom random;
    std::filesystem::path file = dir.file("agent.db");
    TestStoreState engine{file};
    std::unique_ptr<agent::Store> store = engine.open(clock);

    /// Closes the store and opens it again on the same state, as a restart would.
    void reopen() {
        store.reset();
        store = engine.open(clock);
    }

    /// The first column of the first row of `sql`, read past the store (SQL both engines
    /// understand, e.g. counting rows).
    std::string rawScalar(const std::string& sql);
};

inline agent::OutboundMessage makeMessage(const std::string& messageId, agent::TimePoint createdAt,
                                          agent::Milliseconds persistFor = std::chrono::hours(1),
                                          int maxAttempts = 0) {
    agent::OutboundMessage message;
    message.messageId = messageId;
    message.conversationId = messageId;
    message.interaction = "PORX_IN020101SM31";
    message.service = "urn:nhs:names:services:mm";
    message.businessId = "9D6C1A-A83008-4E2B1Y";
    message.endpoint = "https://127.0.0.1:7680/reliablemessaging/reliablerequest";
    message.soapAction = "urn:nhs:names:services:mm/PORX_IN020101SM31";
    message.contentType = "multipart/related; boundary=\"--=_MIME-Boundary\"";
    message.body = std::string("body of ") + messageId + std::string("\0binary\xff", 8);
    message.createdAt = createdAt;
    message.expiresAt = createdAt + persistFor;
    message.maxAttempts = maxAttempts;
    return message;
}

/// doctest cannot print a MessageState (argument-dependent lookup finds agent::toString, whose
/// string_view it cannot append), so tests compare state names.
inline std::string stateName(agent::MessageState state) {
    return std::string(toString(state));
}

inline agent::AuditEvent apiEvent(const std::string& messageId) {
    return agent::AuditEvent{"api", "accepted", messageId, "interaction PORX_IN020101SM31"};
}

/// A plain sqlite3 connection to the store file, as someone with shell access would use.
class RawDatabase {
public:
    explicit RawDatabase(const std::filesystem::path& file) {
        sqlite3* handle = nullptr;
        const int rc = sqlite3_open(file.c_str(), &handle);
        m_handle.reset(handle);
        if (rc != SQLITE_OK) {
            throw std::runtime_error("cannot open " + file.string());
        }
    }

    void exec(const std::string& sql) {
        char* message = nullptr;
        if (sqlite3_exec(m_handle.get(), sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
            const std::string text = message != nullptr ? message : "unknown error";
            sqlite3_free(message);
            throw std::runtime_error(sql + ": " + text);
        }
    }

    /// The first column of the first row, as text ("" for NULL or no row).
    std::string scalar(const std::string& sql) {
        sqlite3_stmt* raw = nullptr;
        if (sqlite3_prepare_v2(m_handle.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
            throw std::runtime_error(sql + ": " + sqlite3_errmsg(m_handle.get()));
        }
        std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, &sqlite3_finalize);
        std::string value;
        if (sqlite3_step(statement.get()) == SQLITE_ROW) {
            if (const unsigned char* text = sqlite3_column_text(statement.get(), 0)) {
                value = reinterpret_cast<const char*>(text);
            }
        }
        return value;
    }

private:
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> m_handle{nullptr, &sqlite3_close};
};

inline std::string OpenStore::rawScalar(const std::string& sql) {
    if (PostgresTestDatabase* postgres = engine.postgres()) {
        return postgres->scalar(sql);
    }
    return RawDatabase(file).scalar(sql);
}

} // namespace gp::test
