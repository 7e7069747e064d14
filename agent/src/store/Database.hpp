#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace gp::agent::sqlite {

/// A failed SQLite call. It never leaves the store: SqliteStore turns it into a gp::Error at each
/// public method, after the open Transaction has rolled back on the way out, so that a failed write
/// can never be half applied however deep in a helper it failed.
class SqliteError : public std::runtime_error {
public:
    SqliteError(int extendedCode, const std::string& message)
        : std::runtime_error(message), m_extendedCode(extendedCode) {}
    int extendedCode() const noexcept { return m_extendedCode; }

private:
    int m_extendedCode;
};

/// "database or disk is full (SQLITE_FULL)": SQLite's own text with the symbolic name of the
/// (extended) result code, so that a full disk and an I/O error read differently in a log.
std::string describeSqliteResult(int extendedCode, std::string_view sqliteMessage);

/// One sqlite3 connection, closed in the destructor. It keeps the statements it has prepared,
/// by their SQL text, so that the same query run again is bound and stepped, not parsed and
/// planned again: preparing costs more than running most of the store's one-row statements.
/// Like the connection itself, the cache is used by one thread at a time (the store's locks).
class Database {
public:
    enum class Mode { ReadWriteCreate, ReadOnly };

    /// Throws SqliteError when the file cannot be opened.
    Database(const std::filesystem::path& file, Mode mode);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    /// Runs one or more statements that return no rows the caller needs.
    void exec(std::string_view sql);
    /// Runs one statement that returns no rows, prepared once and kept (see the class comment):
    /// for the transaction control the store repeats on every write and read.
    void run(std::string_view sql);

    /// Rows changed by the last INSERT/UPDATE/DELETE.
    std::int64_t changes() const;
    /// Rows changed since the connection opened (every INSERT/UPDATE/DELETE counted).
    std::int64_t totalChanges() const;
    bool inTransaction() const;

    /// Throws a SqliteError for `resultCode`, with the connection's message and `context`.
    [[noreturn]] void fail(int resultCode, std::string_view context) const;

private:
    friend class Statement;
    /// Prepared statements for one SQL text that are not in use. A std::map, whose nodes never
    /// move, so that a Statement can keep a pointer to the pool it returns its handle to.
    using StatementPool = std::vector<sqlite3_stmt*>;
    /// A cached statement for `sql` (prepared when none is free) and the pool to return it to,
    /// or a null pool when the cache is full and the statement must be finalized after use.
    std::pair<sqlite3_stmt*, StatementPool*> takeStatement(std::string_view sql);

    sqlite3* m_handle = nullptr;
    std::map<std::string, StatementPool, std::less<>> m_statements;
};

} // namespace gp::agent::sqlite
