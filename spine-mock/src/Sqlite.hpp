#pragma once

#include <gp/Result.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace gp::mock {

class SqliteDatabase;

/// One prepared statement, borrowed from its connection's cache and given back, reset, when it
/// goes. Binds are 1-based as in SQLite; columns are 0-based.
class SqliteStatement {
public:
    SqliteStatement& bind(int index, std::string_view text);
    SqliteStatement& bind(int index, std::int64_t number);
    SqliteStatement& bindBlob(int index, std::string_view bytes);

    /// Advances to the next row: true while a row is available, false when done.
    Result<bool> step();
    Status run(); // for statements that return no rows

    std::string text(int column) const;
    std::int64_t integer(int column) const;

private:
    friend class SqliteDatabase;
    struct GiveBack {
        SqliteDatabase* owner;
        void operator()(sqlite3_stmt* statement) const noexcept;
    };
    SqliteStatement(sqlite3* db, sqlite3_stmt* statement, SqliteDatabase* owner)
        : m_db(db), m_statement(statement, GiveBack{owner}) {}

    sqlite3* m_db;
    std::unique_ptr<sqlite3_stmt, GiveBack> m_statement;
};

/// An open SQLite connection. Not thread-safe; MockStore serialises its use.
class SqliteDatabase {
public:
    /// Opens (creating if needed) the file; throws std::runtime_error on failure, which is a
    /// start-up error for spine-mock.
    explicit SqliteDatabase(const std::string& path);
    ~SqliteDatabase();
    SqliteDatabase(const SqliteDatabase&) = delete;
    SqliteDatabase& operator=(const SqliteDatabase&) = delete;

    Status exec(std::string_view sql);
    /// A statement for `sql` (one statement, our own fixed text). Statements are kept once
    /// compiled, since compiling costs more than running most of ours.
    SqliteStatement prepare(std::string_view sql);
    std::string lastError() const;
    /// Whether a transaction is open (SQLite rolls one back by itself after some errors).
    bool inTransaction() const;

private:
    friend struct SqliteStatement::GiveBack;
    void giveBack(sqlite3_stmt* statement) noexcept;

    struct Closer {
        void operator()(sqlite3* db) const noexcept;
    };
    std::unique_ptr<sqlite3, Closer> m_db;
    // Compiled statements not in use, by SQL text; several when the same one is used nested.
    std::unordered_map<std::string, std::vector<sqlite3_stmt*>> m_idle;
};

} // namespace gp::mock
