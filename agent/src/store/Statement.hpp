#pragma once

#include "Database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3_stmt;

namespace gp::agent::sqlite {

/// One prepared statement, taken from the connection's cache (or prepared) in the constructor and
/// reset and handed back in the destructor. Parameters are numbered from 1 and columns from 0, as
/// in SQLite. Every failure throws SqliteError.
class Statement {
public:
    Statement(Database& database, std::string_view sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    Statement& bind(int index, const std::string& text) {
        return bind(index, std::string_view(text));
    }
    Statement& bind(int index, std::optional<std::int64_t> value);
    Statement& bindBlob(int index, std::string_view bytes);
    Statement& bindNull(int index);

    /// True when a row is ready to be read, false when the statement has finished.
    bool step();
    /// Steps a statement that returns no rows.
    void run();
    /// Makes the statement ready to be bound and run again (bindings are kept until rebound).
    void reset();

    bool isNull(int column) const;
    std::int64_t integer(int column) const;
    std::optional<std::int64_t> optionalInteger(int column) const;
    std::string text(int column) const; // "" for NULL
    std::string blob(int column) const;

private:
    Database& m_database;
    sqlite3_stmt* m_handle = nullptr;
    std::vector<sqlite3_stmt*>* m_pool = nullptr; // where it goes back to; null: finalize it
};

} // namespace gp::agent::sqlite
