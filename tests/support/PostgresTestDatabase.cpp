#include "PostgresTestDatabase.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace gp::test {
namespace {

using Connection = std::unique_ptr<PGconn, void (*)(PGconn*)>;
using Result = std::unique_ptr<PGresult, void (*)(PGresult*)>;

Connection connectTo(const std::string& url) {
    Connection connection(PQconnectdb(url.c_str()), &PQfinish);
    if (connection == nullptr || PQstatus(connection.get()) != CONNECTION_OK) {
        const std::string reason =
            connection ? PQerrorMessage(connection.get()) : std::string("out of memory");
        throw std::runtime_error("cannot connect to the test PostgreSQL server at " + url + ": " +
                                 reason);
    }
    return connection;
}

Result run(PGconn* connection, const std::string& sql) {
    Result result(PQexec(connection, sql.c_str()), &PQclear);
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        throw std::runtime_error(sql + ": " + PQerrorMessage(connection));
    }
    return result;
}

/// Unique across the test processes ctest runs in parallel, and across runs on one server.
std::string randomSchemaName() {
    std::random_device device;
    std::mt19937_64 generator((static_cast<std::uint64_t>(device()) << 32) ^ device() ^
                              static_cast<std::uint64_t>(getpid()));
    std::ostringstream name;
    name << "gp_test_" << std::hex << generator();
    return name.str();
}

std::string withOption(const std::string& url, const std::string& option) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + option;
}

} // namespace

bool storeTestsUsePostgres() {
    const char* engine = std::getenv("GP_TEST_STORE_ENGINE");
    return engine != nullptr && std::string(engine) == "postgresql";
}

std::optional<std::string> postgresServerUrl() {
    const char* file = std::getenv("GP_TEST_POSTGRES_URL_FILE");
    if (file == nullptr || *file == '\0') {
        return std::nullopt;
    }
    std::ifstream in(file);
    std::string url;
    if (!std::getline(in, url) || url.empty()) {
        throw std::runtime_error(std::string("GP_TEST_POSTGRES_URL_FILE names ") + file +
                                 ", which holds no URL: is the test server running "
                                 "(tests/support/pg-server.sh start)?");
    }
    return url;
}

std::string requirePostgresServerUrl() {
    if (auto url = postgresServerUrl()) {
        return *url;
    }
    throw std::runtime_error("no test PostgreSQL server: set GP_TEST_POSTGRES_URL_FILE to the url "
                             "file of tests/support/pg-server.sh (ctest -L agent-pg does)");
}

PostgresTestDatabase::PostgresTestDatabase(const std::string& serverUrl)
    : m_serverUrl(serverUrl), m_schema(randomSchemaName()),
      m_url(withOption(serverUrl, "options=-csearch_path%3D" + m_schema)),
      m_connection(nullptr, &PQfinish) {
    run(connectTo(m_serverUrl).get(), "CREATE SCHEMA " + m_schema);
}

PostgresTestDatabase::~PostgresTestDatabase() {
    m_connection.reset();
    try {
        Connection connection = connectTo(m_serverUrl);
        // A store whose process was just killed may still hold locks for a moment; waiting
        // briefly beats leaving the schema behind (the server is thrown away after the run anyway).
        run(connection.get(), "SET lock_timeout = '10s'");
        run(connection.get(), "SET client_min_messages = warning"); // no NOTICE per dropped table
        run(connection.get(), "DROP SCHEMA IF EXISTS " + m_schema + " CASCADE");
    } catch (const std::exception&) {
        // Left for the server's removal at the end of the run: a destructor must not throw.
    }
}

PGconn* PostgresTestDatabase::connection() {
    if (!m_connection) {
        m_connection = connectTo(m_url);
    }
    return m_connection.get();
}

void PostgresTestDatabase::exec(const std::string& sql) {
    run(connection(), sql);
}

std::string PostgresTestDatabase::scalar(const std::string& sql) {
    const Result result = run(connection(), sql);
    if (PQntuples(result.get()) == 0 || PQnfields(result.get()) == 0 ||
        PQgetisnull(result.get(), 0, 0)) {
        return "";
    }
    return PQgetvalue(result.get(), 0, 0);
}

} // namespace gp::test
