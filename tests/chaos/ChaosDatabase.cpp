#include "ChaosDatabase.hpp"

#include <stdexcept>

namespace gp::chaos {

ReadOnlyDatabase::ReadOnlyDatabase(const std::filesystem::path& file)
    : m_handle(nullptr, &sqlite3_close), m_file(file) {
    sqlite3* handle = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr);
    m_handle.reset(handle);
    if (rc != SQLITE_OK) {
        throw std::runtime_error("cannot open " + file.string() + ": " + sqlite3_errstr(rc));
    }
    sqlite3_busy_timeout(handle, 5000);
}

std::vector<std::vector<std::string>> ReadOnlyDatabase::rows(const std::string& sql) const {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(m_handle.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
        throw std::runtime_error(m_file.string() + ": " + sql + ": " +
                                 sqlite3_errmsg(m_handle.get()));
    }
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, &sqlite3_finalize);
    std::vector<std::vector<std::string>> result;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(statement.get())) == SQLITE_ROW) {
        std::vector<std::string> row;
        const int columns = sqlite3_column_count(statement.get());
        for (int i = 0; i < columns; ++i) {
            const auto* text = sqlite3_column_text(statement.get(), i);
            row.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
        }
        result.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) {
        throw std::runtime_error(m_file.string() + ": " + sql + ": " +
                                 sqlite3_errmsg(m_handle.get()));
    }
    return result;
}

long long ReadOnlyDatabase::count(const std::string& sql) const {
    const auto result = rows(sql);
    return result.empty() || result[0].empty() || result[0][0].empty() ? 0
                                                                       : std::stoll(result[0][0]);
}

} // namespace gp::chaos
