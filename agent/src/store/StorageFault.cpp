#include <gp/agent/store/Store.hpp>

#include <cerrno>
#include <cstring>

namespace gp::agent {

std::string_view toString(StorageFault fault) {
    switch (fault) {
    case StorageFault::Full:
        return "full";
    case StorageFault::IoError:
        return "io-error";
    }
    return "io-error";
}

std::optional<StorageFault> storageFaultOf(const Error& error) {
    // Store errors carry SQLite's symbolic result name (describeSqliteResult); state files (inbox
    // spool, GP2GP parts) carry the system's text for errno. Both are written by this program, so
    // reading them back is reading our own format, not guessing at a third party's.
    const std::string& text = error.message;
    const auto says = [&](const char* words) { return text.find(words) != std::string::npos; };
    // PostgreSQL's errors carry their SQLSTATE (PgConnection.cpp): 53100 disk_full, 58030
    // io_error.
    if (says("(SQLSTATE 53100") || says("(SQLITE_FULL") || says(std::strerror(ENOSPC)) ||
        says(std::strerror(EDQUOT))) {
        return StorageFault::Full;
    }
    if (says("(SQLSTATE 58030") || says("(SQLITE_IOERR") || says(std::strerror(EIO))) {
        return StorageFault::IoError;
    }
    return std::nullopt;
}

} // namespace gp::agent
