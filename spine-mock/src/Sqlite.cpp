#include "Sqlite.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace gp::mock {

void SqliteStatement::GiveBack::operator()(sqlite3_stmt* statement) const noexcept {
    if (owner != nullptr) {
        owner->giveBack(statement);
    } else {
        sqlite3_finalize(statement);
    }
}

void SqliteDatabase::Closer::operator()(sqlite3* db) const noexcept {
    sqlite3_close_v2(db);
}

SqliteStatement SqliteDatabase::prepare(std::string_view sql) {
    const std::string key(sql);
    if (auto idle = m_idle.find(key); idle != m_idle.end() && !idle->second.empty()) {
        sqlite3_stmt* statement = idle->second.back();
        idle->second.pop_back();
        return SqliteStatement(m_db.get(), statement, this);
    }
    sqlite3_stmt* raw = nullptr;
    const int rc =
        sqlite3_prepare_v2(m_db.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(raw);
        // Our SQL is fixed text: failing to prepare it is a bug, not a runtime condition.
        throw std::logic_error("cannot prepare SQL: " + std::string(sqlite3_errmsg(m_db.get())));
    }
    // Kept by the text SQLite records for it, which is ours unless it had more than one statement.
    const bool reusable = raw != nullptr && std::string_view(sqlite3_sql(raw)) == sql;
    return SqliteStatement(m_db.get(), raw, reusable ? this : nullptr);
}

void SqliteDatabase::giveBack(sqlite3_stmt* statement) noexcept {
    if (statement == nullptr) {
        return;
    }
    // Reset ends any read the statement left open; its error, if any, was reported by step().
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    try {
        m_idle[sqlite3_sql(statement)].push_back(statement);
    } catch (...) {
        sqlite3_finalize(statement);
    }
}

SqliteDatabase::~SqliteDatabase() {
    for (auto& [sql, statements] : m_idle) {
        for (sqlite3_stmt* statement : statements) {
            sqlite3_finalize(statement);
        }
    }
}

SqliteStatement& SqliteStatement::bind(int index, std::string_view text) {
    sqlite3_bind_text(m_statement.get(), index, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
    return *this;
}

SqliteStatement& SqliteStatement::bind(int index, std::int64_t number) {
    sqlite3_bind_int64(m_statement.get(), index, number);
    return *this;
}

SqliteStatement& SqliteStatement::bindBlob(int index, std::string_view bytes) {
    sqlite3_bind_blob(m_statement.get(), index, bytes.data(), static_cast<int>(bytes.size()),
                      SQLITE_TRANSIENT);
    return *this;
}

Result<bool> SqliteStatement::step() {
    const int rc = sqlite3_step(m_statement.get());
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    return failure("sqlite", sqlite3_errmsg(m_db));
}

Status SqliteStatement::run() {
    auto stepped = step();
    if (!stepped) {
        return stepped.error();
    }
    return success();
}

std::string SqliteStatement::text(int column) const {
    const auto* bytes = static_cast<const char*>(sqlite3_column_blob(m_statement.get(), column));
    const int size = sqlite3_column_bytes(m_statement.get(), column);
    return bytes == nullptr ? std::string() : std::string(bytes, static_cast<std::size_t>(size));
}

std::int64_t SqliteStatement::integer(int column) const {
    return sqlite3_column_int64(m_statement.get(), column);
}

SqliteDatabase::SqliteDatabase(const std::string& path) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(
        path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
        nullptr);
    m_db.reset(raw);
    if (rc != SQLITE_OK) {
        const std::string message = raw != nullptr ? sqlite3_errmsg(raw) : "out of memory";
        throw std::runtime_error("cannot open " + path + ": " + message);
    }
    sqlite3_busy_timeout(m_db.get(), 5000);
}

Status SqliteDatabase::exec(std::string_view sql) {
    char* message = nullptr;
    const std::string text(sql);
    const int rc = sqlite3_exec(m_db.get(), text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string reason = message != nullptr ? message : sqlite3_errmsg(m_db.get());
        sqlite3_free(message);
        return failure("sqlite", reason);
    }
    return success();
}

std::string SqliteDatabase::lastError() const {
    return sqlite3_errmsg(m_db.get());
}

bool SqliteDatabase::inTransaction() const {
    return sqlite3_get_autocommit(m_db.get()) == 0;
}

} // namespace gp::mock
