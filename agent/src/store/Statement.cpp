#include "Statement.hpp"

#include <sqlite3.h>

#include <cstdint>

namespace gp::agent::sqlite {

namespace {

// SQLITE_TRANSIENT spelled without the C-style cast of sqlite3.h: SQLite copies the bytes at once,
// so a caller may bind a temporary.
const sqlite3_destructor_type kTransient =
    reinterpret_cast<sqlite3_destructor_type>(static_cast<std::intptr_t>(-1));

} // namespace

Statement::Statement(Database& database, std::string_view sql) : m_database(database) {
    const int rc = sqlite3_prepare_v2(database.m_handle, sql.data(), static_cast<int>(sql.size()),
                                      &m_handle, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(m_handle);
        m_handle = nullptr;
        database.fail(rc, "prepare");
    }
}

Statement::~Statement() {
    sqlite3_finalize(m_handle);
}

Statement& Statement::bind(int index, std::int64_t value) {
    const int rc = sqlite3_bind_int64(m_handle, index, value);
    if (rc != SQLITE_OK) {
        m_database.fail(rc, "");
    }
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    // An empty view may have no data pointer, and SQLite binds a null pointer as NULL: point it
    // at "" so that empty text is stored as '' (NULL hashed differently in the audit chain).
    const char* data = text.data() != nullptr ? text.data() : "";
    const int rc = sqlite3_bind_text64(m_handle, index, data, text.size(), kTransient, SQLITE_UTF8);
    if (rc != SQLITE_OK) {
        m_database.fail(rc, "");
    }
    return *this;
}

Statement& Statement::bind(int index, std::optional<std::int64_t> value) {
    return value ? bind(index, *value) : bindNull(index);
}

Statement& Statement::bindBlob(int index, std::string_view bytes) {
    const int rc = sqlite3_bind_blob64(m_handle, index, bytes.data(), bytes.size(), kTransient);
    if (rc != SQLITE_OK) {
        m_database.fail(rc, "");
    }
    return *this;
}

Statement& Statement::bindNull(int index) {
    const int rc = sqlite3_bind_null(m_handle, index);
    if (rc != SQLITE_OK) {
        m_database.fail(rc, "");
    }
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(m_handle);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    m_database.fail(rc, "");
}

void Statement::run() {
    while (step()) {
    }
}

void Statement::reset() {
    // sqlite3_reset repeats the last step's error, which step() has already thrown.
    sqlite3_reset(m_handle);
}

bool Statement::isNull(int column) const {
    return sqlite3_column_type(m_handle, column) == SQLITE_NULL;
}

std::int64_t Statement::integer(int column) const {
    return sqlite3_column_int64(m_handle, column);
}

std::optional<std::int64_t> Statement::optionalInteger(int column) const {
    if (isNull(column)) {
        return std::nullopt;
    }
    return integer(column);
}

std::string Statement::text(int column) const {
    const unsigned char* data = sqlite3_column_text(m_handle, column);
    if (data == nullptr) {
        return {};
    }
    const int size = sqlite3_column_bytes(m_handle, column);
    return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::string Statement::blob(int column) const {
    const void* data = sqlite3_column_blob(m_handle, column);
    const int size = sqlite3_column_bytes(m_handle, column);
    if (data == nullptr || size == 0) {
        return {};
    }
    return std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

} // namespace gp::agent::sqlite
