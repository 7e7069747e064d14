#pragma once

#include <gp/Result.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace gp::mock {

/// One prepared statement. Binds are 1-based as in SQLite; columns are 0-based.
class SqliteStatement {
public:
    SqliteStatement(sqlite3* db, std::string_view sql);

    SqliteStatement& bind(int index, std::string_view text);
    SqliteStatement& bind(int index, std::int64_t number);
    SqliteStatement& bindBlob(int index, std::string_view bytes);

    /// Advances to the next row: true while a row is available, false when done.
    Result<bool> step();
    Status run(); // for statements that return no rows

    std::string text(int column) const;
    std::int64_t integer(int column) const;

private:
    struct Finalizer {
        void operator()(sqlite3_stmt* statement) const noexcept;
    };
    sqlite3* m_db;
    std::unique_ptr<sqlite3_stmt, Finalizer> m_statement;
};

/// An open SQLite connection. Not thread-safe; MockStore serialises its use.
class SqliteDatabase {
public:
    /// Opens (creating if needed) the file; throws std::runtime_error on failure, which is a
    /// start-up error for spine-mock.
    explicit SqliteDatabase(const std::string& path);

    Status exec(std::string_view sql);
    SqliteStatement prepare(std::string_view sql) { return SqliteStatement(m_db.get(), sql); }
    std::string lastError() const;

private:
    struct Closer {
        void operator()(sqlite3* db) const noexcept;
    };
    std::unique_ptr<sqlite3, Closer> m_db;
};

} // namespace gp::mock
