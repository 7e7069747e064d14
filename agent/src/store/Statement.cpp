#include "Statement.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <tuple>

namespace gp::agent::sqlite {

namespace {

// SQLITE_TRANSIENT spelled without the C-style cast of sqlite3.h: SQLite copies the bytes at once,
// so a caller may bind a temporary.
const sqlite3_destructor_type kTransient =
    reinterpret_cast<sqlite3_destructor_type>(static_cast<std::intptr_t>(-1));

} // namespace

Statement::Statement(Database& database, std::string_view sql) : m_database(database) {
    std::tie(m_handle, m_pool) = database.takeStatement(sql);
}

Statement::~Statement() {
    if (m_pool == nullptr) {
        sqlite3_finalize(m_handle);
        return;
    }
    // Reset ends the statement's hold on its read snapshot (or write), and clearing the bindings
    // lets go of the bound text and blobs (copies of message bodies) before the next use.
    sqlite3_reset(m_handle);
    sqlite3_clear_bindings(m_handle);
    m_pool->push_back(m_handle);
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
