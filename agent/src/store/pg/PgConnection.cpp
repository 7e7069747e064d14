#include "PgConnection.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>

namespace gp::agent::pg {

namespace {

std::string trimmedMessage(const char* text) {
    std::string message = text != nullptr ? text : "unknown error";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
        message.pop_back();
    }
    return message;
}

} // namespace

// ---- Params ----

void Params::add(std::optional<std::string> value, int format) {
    m_values.push_back(std::move(value));
    m_formats.push_back(format);
    // The strings may move as m_values grows: rebuild the pointers from scratch.
    m_pointers.clear();
    m_lengths.clear();
    for (const auto& stored : m_values) {
        m_pointers.push_back(stored ? stored->data() : nullptr);
        m_lengths.push_back(stored ? static_cast<int>(stored->size()) : 0);
    }
}

Params& Params::text(std::string_view value) {
    add(std::string(value), 0);
    return *this;
}

Params& Params::integer(std::int64_t value) {
    add(std::to_string(value), 0);
    return *this;
}

Params& Params::optionalInteger(std::optional<std::int64_t> value) {
    return value ? integer(*value) : null();
}

Params& Params::boolean(bool value) {
    add(std::string(value ? "t" : "f"), 0);
    return *this;
}

Params& Params::bytes(std::string_view value) {
    add(std::string(value), 1);
    return *this;
}

Params& Params::null() {
    add(std::nullopt, 0);
    return *this;
}

// ---- Rows ----

Rows::Rows(pg_result* result) : m_result(result) {}

Rows::~Rows() {
    if (m_result != nullptr) {
        PQclear(m_result);
    }
}

Rows::Rows(Rows&& other) noexcept : m_result(other.m_result) {
    other.m_result = nullptr;
}

Rows& Rows::operator=(Rows&& other) noexcept {
    if (this != &other) {
        if (m_result != nullptr) {
            PQclear(m_result);
        }
        m_result = other.m_result;
        other.m_result = nullptr;
    }
    return *this;
}

int Rows::count() const {
    return m_result != nullptr ? PQntuples(m_result) : 0;
}

std::int64_t Rows::affected() const {
    const char* text = m_result != nullptr ? PQcmdTuples(m_result) : "";
    std::int64_t value = 0;
    std::from_chars(text, text + std::strlen(text), value);
    return value;
}

bool Rows::isNull(int row, int column) const {
    return PQgetisnull(m_result, row, column) != 0;
}

std::string Rows::text(int row, int column) const {
    return std::string(PQgetvalue(m_result, row, column),
                       static_cast<std::size_t>(PQgetlength(m_result, row, column)));
}

std::int64_t Rows::integer(int row, int column) const {
    const char* text = PQgetvalue(m_result, row, column);
    std::int64_t value = 0;
    std::from_chars(text, text + PQgetlength(m_result, row, column), value);
    return value;
}

std::optional<std::int64_t> Rows::optionalInteger(int row, int column) const {
    if (isNull(row, column)) {
        return std::nullopt;
    }
    return integer(row, column);
}

bool Rows::boolean(int row, int column) const {
    return PQgetvalue(m_result, row, column)[0] == 't';
}

std::string Rows::bytes(int row, int column) const {
    if (isNull(row, column)) {
        return {};
    }
    std::size_t length = 0;
    unsigned char* decoded = PQunescapeBytea(
        reinterpret_cast<const unsigned char*>(PQgetvalue(m_result, row, column)), &length);
    if (decoded == nullptr) {
        throw PgError("", "cannot decode a bytea column (out of memory)", false);
    }
    std::string value(reinterpret_cast<const char*>(decoded), length);
    PQfreemem(decoded);
    return value;
}

// ---- Connection ----

Connection::Connection(const std::string& url) : m_connection(PQconnectdb(url.c_str())) {
    if (m_connection == nullptr) {
        throw PgError("", "cannot connect to PostgreSQL: out of memory", true);
    }
    if (PQstatus(m_connection) != CONNECTION_OK) {
        // The URL may hold a password: the message is libpq's, which never repeats it.
        const std::string message = trimmedMessage(PQerrorMessage(m_connection));
        PQfinish(m_connection);
        m_connection = nullptr;
        throw PgError("", "cannot connect to PostgreSQL: " + message, true);
    }
    // Notices ("relation already exists, skipping") are not errors; libpq would print them to
    // standard error, outside the agent's logging.
    PQsetNoticeProcessor(
        m_connection, [](void*, const char*) {}, nullptr);
}

Connection::~Connection() {
    if (m_connection != nullptr) {
        PQfinish(m_connection);
    }
}

void Connection::fail(std::string_view context, pg_result* result) const {
    std::string sqlState;
    std::string message;
    if (result != nullptr) {
        if (const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE)) {
            sqlState = state;
        }
        message = trimmedMessage(PQresultErrorMessage(result));
        PQclear(result);
    }
    if (message.empty()) {
        message = trimmedMessage(PQerrorMessage(m_connection));
    }
    const bool lost = PQstatus(m_connection) != CONNECTION_OK;
    throw PgError(sqlState,
                  std::string(context) + ": " + message +
                      (sqlState.empty() ? "" : " (SQLSTATE " + sqlState + ")"),
                  lost);
}

void Connection::exec(std::string_view sql) {
    const std::string statement(sql);
    pg_result* result = PQexec(m_connection, statement.c_str());
    const auto status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        fail("statement failed", result);
    }
    PQclear(result);
}

Rows Connection::query(std::string_view sql, const Params& params) {
    auto found = m_prepared.find(sql);
    if (found == m_prepared.end()) {
        const std::string name = "gp" + std::to_string(m_prepared.size() + 1);
        const std::string text(sql);
        pg_result* prepared = PQprepare(m_connection, name.c_str(), text.c_str(), 0, nullptr);
        if (prepared == nullptr || PQresultStatus(prepared) != PGRES_COMMAND_OK) {
            fail("cannot prepare a statement", prepared);
        }
        PQclear(prepared);
        found = m_prepared.emplace(text, name).first;
    }
    pg_result* result = PQexecPrepared(m_connection, found->second.c_str(), params.size(),
                                       params.values(), params.lengths(), params.formats(), 0);
    const auto status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        fail("statement failed", result);
    }
    return Rows(result);
}

bool Connection::inTransaction() const {
    return PQtransactionStatus(m_connection) != PQTRANS_IDLE;
}

bool Connection::transactionFailed() const {
    return PQtransactionStatus(m_connection) == PQTRANS_INERROR;
}

int Connection::backendPid() const {
    return PQbackendPID(m_connection);
}

int Connection::socket() const {
    return PQsocket(m_connection);
}

std::vector<Connection::Notification> Connection::takeNotifications() {
    if (PQconsumeInput(m_connection) == 0) {
        fail("connection lost while waiting for notifications", nullptr);
    }
    std::vector<Notification> received;
    while (PGnotify* notify = PQnotifies(m_connection)) {
        received.push_back(
            {notify->relname, notify->extra != nullptr ? notify->extra : "", notify->be_pid});
        PQfreemem(notify);
    }
    return received;
}

// ---- Connection::Canceller ----

Connection::Canceller::~Canceller() {
    if (m_cancel != nullptr) {
        PQfreeCancel(m_cancel);
    }
}

bool Connection::Canceller::cancel() const {
    char reason[256];
    return m_cancel != nullptr && PQcancel(m_cancel, reason, sizeof reason) == 1;
}

std::unique_ptr<Connection::Canceller> Connection::canceller() const {
    return std::make_unique<Canceller>(PQgetCancel(m_connection));
}

} // namespace gp::agent::pg
