#include "Database.hpp"

#include "Statement.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

namespace gp::agent::sqlite {

namespace {

struct CodeName {
    int code;
    const char* name;
};

#define GP_SQLITE_CODE(code)                                                                       \
    CodeName {                                                                                     \
        code, #code                                                                                \
    }

// Extended codes first: the most specific name wins.
constexpr CodeName kCodeNames[] = {
    GP_SQLITE_CODE(SQLITE_IOERR_READ),
    GP_SQLITE_CODE(SQLITE_IOERR_SHORT_READ),
    GP_SQLITE_CODE(SQLITE_IOERR_WRITE),
    GP_SQLITE_CODE(SQLITE_IOERR_FSYNC),
    GP_SQLITE_CODE(SQLITE_IOERR_DIR_FSYNC),
    GP_SQLITE_CODE(SQLITE_IOERR_TRUNCATE),
    GP_SQLITE_CODE(SQLITE_IOERR_FSTAT),
    GP_SQLITE_CODE(SQLITE_IOERR_LOCK),
    GP_SQLITE_CODE(SQLITE_IOERR_NOMEM),
    GP_SQLITE_CODE(SQLITE_IOERR_SHMOPEN),
    GP_SQLITE_CODE(SQLITE_IOERR_SHMSIZE),
    GP_SQLITE_CODE(SQLITE_IOERR_SHMMAP),
    GP_SQLITE_CODE(SQLITE_IOERR_SEEK),
    GP_SQLITE_CODE(SQLITE_IOERR_CORRUPTFS),
    GP_SQLITE_CODE(SQLITE_CONSTRAINT_CHECK),
    GP_SQLITE_CODE(SQLITE_CONSTRAINT_FOREIGNKEY),
    GP_SQLITE_CODE(SQLITE_CONSTRAINT_NOTNULL),
    GP_SQLITE_CODE(SQLITE_CONSTRAINT_PRIMARYKEY),
    GP_SQLITE_CODE(SQLITE_CONSTRAINT_UNIQUE),
    GP_SQLITE_CODE(SQLITE_CONSTRAINT_TRIGGER),
    GP_SQLITE_CODE(SQLITE_BUSY_SNAPSHOT),
    GP_SQLITE_CODE(SQLITE_BUSY_RECOVERY),
    GP_SQLITE_CODE(SQLITE_READONLY_DBMOVED),
    GP_SQLITE_CODE(SQLITE_READONLY_RECOVERY),
    GP_SQLITE_CODE(SQLITE_READONLY_CANTINIT),
    GP_SQLITE_CODE(SQLITE_CANTOPEN_ISDIR),
    GP_SQLITE_CODE(SQLITE_CANTOPEN_FULLPATH),
    GP_SQLITE_CODE(SQLITE_ERROR),
    GP_SQLITE_CODE(SQLITE_INTERNAL),
    GP_SQLITE_CODE(SQLITE_PERM),
    GP_SQLITE_CODE(SQLITE_ABORT),
    GP_SQLITE_CODE(SQLITE_BUSY),
    GP_SQLITE_CODE(SQLITE_LOCKED),
    GP_SQLITE_CODE(SQLITE_NOMEM),
    GP_SQLITE_CODE(SQLITE_READONLY),
    GP_SQLITE_CODE(SQLITE_INTERRUPT),
    GP_SQLITE_CODE(SQLITE_IOERR),
    GP_SQLITE_CODE(SQLITE_CORRUPT),
    GP_SQLITE_CODE(SQLITE_NOTFOUND),
    GP_SQLITE_CODE(SQLITE_FULL),
    GP_SQLITE_CODE(SQLITE_CANTOPEN),
    GP_SQLITE_CODE(SQLITE_PROTOCOL),
    GP_SQLITE_CODE(SQLITE_SCHEMA),
    GP_SQLITE_CODE(SQLITE_TOOBIG),
    GP_SQLITE_CODE(SQLITE_CONSTRAINT),
    GP_SQLITE_CODE(SQLITE_MISMATCH),
    GP_SQLITE_CODE(SQLITE_MISUSE),
    GP_SQLITE_CODE(SQLITE_NOLFS),
    GP_SQLITE_CODE(SQLITE_AUTH),
    GP_SQLITE_CODE(SQLITE_RANGE),
    GP_SQLITE_CODE(SQLITE_NOTADB),
};

#undef GP_SQLITE_CODE

const char* exactName(int code) {
    for (const CodeName& entry : kCodeNames) {
        if (entry.code == code) {
            return entry.name;
        }
    }
    return nullptr;
}

} // namespace

std::string describeSqliteResult(int extendedCode, std::string_view sqliteMessage) {
    std::string text(sqliteMessage);
    if (const char* name = exactName(extendedCode)) {
        return text + " (" + name + ")";
    }
    const int primary = extendedCode & 0xff;
    const char* primaryName = exactName(primary);
    return text + " (" + (primaryName != nullptr ? primaryName : "SQLite result") +
           ", extended code " + std::to_string(extendedCode) + ")";
}

Database::Database(const std::filesystem::path& file, Mode mode) {
    const int flags = SQLITE_OPEN_FULLMUTEX |
                      (mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY
                                              : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    const int rc = sqlite3_open_v2(file.c_str(), &m_handle, flags, nullptr);
    if (rc != SQLITE_OK) {
        // sqlite3_open_v2 hands back a handle even on failure, only so that it can be asked why.
        const int code = m_handle != nullptr ? sqlite3_extended_errcode(m_handle) : rc;
        std::string message = describeSqliteResult(
            code, m_handle != nullptr ? sqlite3_errmsg(m_handle) : sqlite3_errstr(rc));
        sqlite3_close_v2(m_handle);
        m_handle = nullptr;
        throw SqliteError(code, message);
    }
    sqlite3_extended_result_codes(m_handle, 1);
}

Database::~Database() {
    for (auto& [sql, pool] : m_statements) {
        for (sqlite3_stmt* statement : pool) {
            sqlite3_finalize(statement);
        }
    }
    sqlite3_close_v2(m_handle);
}

std::pair<sqlite3_stmt*, Database::StatementPool*> Database::takeStatement(std::string_view sql) {
    // Every SQL text the store runs is a constant or built from a handful of constants, so the
    // cache stays small; the bound only guards against a future caller that builds SQL from data.
    constexpr std::size_t kMaxCachedTexts = 256;
    auto found = m_statements.find(sql);
    if (found == m_statements.end() && m_statements.size() < kMaxCachedTexts) {
        found = m_statements.emplace(std::string(sql), StatementPool{}).first;
    }
    StatementPool* pool = found != m_statements.end() ? &found->second : nullptr;
    if (pool != nullptr && !pool->empty()) {
        sqlite3_stmt* statement = pool->back();
        pool->pop_back();
        return {statement, pool};
    }
    sqlite3_stmt* statement = nullptr;
    const int rc =
        sqlite3_prepare_v3(m_handle, sql.data(), static_cast<int>(sql.size()),
                           pool != nullptr ? SQLITE_PREPARE_PERSISTENT : 0, &statement, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(statement);
        fail(rc, "prepare");
    }
    return {statement, pool};
}

void Database::exec(std::string_view sql) {
    const std::string text(sql);
    const int rc = sqlite3_exec(m_handle, text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
        // The statement's opening words ("COMMIT", "CREATE TABLE messages") say what failed.
        const std::string_view head = sql.substr(0, std::min(sql.find('\n'), std::size_t{40}));
        fail(rc, head);
    }
}

void Database::run(std::string_view sql) {
    try {
        Statement statement(*this, sql);
        statement.run();
    } catch (const SqliteError& error) {
        throw SqliteError(error.extendedCode(), std::string(sql) + ": " + error.what());
    }
}

std::int64_t Database::changes() const {
    return sqlite3_changes64(m_handle);
}

std::int64_t Database::totalChanges() const {
    return sqlite3_total_changes64(m_handle);
}

bool Database::inTransaction() const {
    return sqlite3_get_autocommit(m_handle) == 0;
}

void Database::fail(int resultCode, std::string_view context) const {
    const int code = m_handle != nullptr ? sqlite3_extended_errcode(m_handle) : resultCode;
    // The connection's last error is only ours for a code it actually reported.
    const bool same = (code & 0xff) == (resultCode & 0xff);
    const std::string message = describeSqliteResult(
        same ? code : resultCode, same ? sqlite3_errmsg(m_handle) : sqlite3_errstr(resultCode));
    throw SqliteError(same ? code : resultCode,
                      context.empty() ? message : std::string(context) + ": " + message);
}

} // namespace gp::agent::sqlite
