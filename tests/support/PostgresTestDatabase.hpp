#pragma once

// A fresh PostgreSQL schema per test on the throw-away server that ctest starts
// (tests/support/pg-server.sh, fixture "postgres"; docs/testing.md, "PostgreSQL").

#include <memory>
#include <optional>
#include <string>

struct pg_conn;

namespace gp::test {

/// Whether the store tests run on PostgreSQL: env GP_TEST_STORE_ENGINE=postgresql (set by
/// ctest's agent-pg and integration-pg runs). Otherwise they run on SQLite.
bool storeTestsUsePostgres();

/// The test server's URI, read from the file GP_TEST_POSTGRES_URL_FILE names; nothing when the
/// variable is unset (no server for this run). Throws when it is set but the file is unreadable.
std::optional<std::string> postgresServerUrl();

/// The test server's URI, or a std::runtime_error saying how to get one.
std::string requirePostgresServerUrl();

/// A schema with a random name, created on construction and dropped (with everything in it) on
/// destruction. url() selects it through libpq's `options=-csearch_path=...`, so a store opened
/// on that URL creates its tables there and tests running in parallel never see each other's.
class PostgresTestDatabase {
public:
    /// Creates the schema on the server at `serverUrl` (throws std::runtime_error when it cannot).
    explicit PostgresTestDatabase(const std::string& serverUrl = requirePostgresServerUrl());
    ~PostgresTestDatabase();
    PostgresTestDatabase(const PostgresTestDatabase&) = delete;
    PostgresTestDatabase& operator=(const PostgresTestDatabase&) = delete;

    const std::string& schema() const { return m_schema; }
    /// The server's URI with the schema selected: what store.url gets.
    const std::string& url() const { return m_url; }

    /// Runs SQL in the schema over a connection of the test's own, as someone with psql would
    /// (an intruder altering audit rows, a test inspecting rows). Throws with the server's words.
    void exec(const std::string& sql);
    /// The first column of the first row, as text ("" for NULL or no row).
    std::string scalar(const std::string& sql);

private:
    pg_conn* connection();

    std::string m_serverUrl;
    std::string m_schema;
    std::string m_url;
    std::unique_ptr<pg_conn, void (*)(pg_conn*)> m_connection;
};

} // namespace gp::test
