#include "Database.hpp"

#include <gp/agent/store/StateBackup.hpp>

#include <sqlite3.h>

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gp::agent {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kDatabaseName = "gp-agent.db";

struct ConnectionCloser {
    void operator()(sqlite3* handle) const { sqlite3_close_v2(handle); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

struct BackupFinisher {
    void operator()(sqlite3_backup* handle) const { sqlite3_backup_finish(handle); }
};
using BackupHandle = std::unique_ptr<sqlite3_backup, BackupFinisher>;

[[noreturn]] void fail(const fs::path& file, sqlite3* handle, int code, std::string_view doing) {
    throw std::runtime_error(
        std::string(doing) + " " + file.string() + ": " +
        sqlite::describeSqliteResult(code, handle != nullptr ? sqlite3_errmsg(handle) : ""));
}

Connection open(const fs::path& file, int flags) {
    sqlite3* raw = nullptr;
    const int code = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
    Connection connection(raw);
    if (code != SQLITE_OK) {
        fail(file, raw, code, "cannot open");
    }
    // The agent's own writes hold the write lock briefly; a reader waits for them, not fails.
    sqlite3_busy_timeout(raw, 5000);
    return connection;
}

// Reading a WAL database makes its -wal and -shm files when the agent is not running. Made by
// root (gp-agentctl run with sudo), they would be root's, and the agent, running as its own user,
// could then not write them at its next start. So files this backup made go to the owner of the
// state directory, with the agent's mode.
class SidecarFiles {
public:
    explicit SidecarFiles(const fs::path& database)
        : m_files{fs::path(database.string() + "-wal"), fs::path(database.string() + "-shm")} {
        for (std::size_t i = 0; i < m_files.size(); ++i) {
            m_existed[i] = fs::exists(m_files[i]);
        }
    }
    ~SidecarFiles() {
        struct stat directory {};
        if (::geteuid() != 0 || ::stat(m_files[0].parent_path().c_str(), &directory) != 0) {
            return;
        }
        for (std::size_t i = 0; i < m_files.size(); ++i) {
            if (!m_existed[i] && fs::exists(m_files[i])) {
                // Best effort: a failure here leaves what SQLite made, as without this class.
                if (::chown(m_files[i].c_str(), directory.st_uid, directory.st_gid) == 0) {
                    ::chmod(m_files[i].c_str(), 0640);
                }
            }
        }
    }
    SidecarFiles(const SidecarFiles&) = delete;
    SidecarFiles& operator=(const SidecarFiles&) = delete;

private:
    std::array<fs::path, 2> m_files;
    std::array<bool, 2> m_existed{};
};

std::int64_t copyDatabase(const fs::path& source, const fs::path& target) {
    if (!fs::exists(source)) {
        throw std::runtime_error("no database at " + source.string());
    }
    const SidecarFiles sidecars(source); // declared first: acts after the connections close
    const auto from = open(source, SQLITE_OPEN_READONLY);
    const auto to = open(target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    BackupHandle backup(sqlite3_backup_init(to.get(), "main", from.get(), "main"));
    if (!backup) {
        fail(target, to.get(), sqlite3_errcode(to.get()), "cannot start the backup into");
    }
    // All pages in one step: one read transaction, so no writer can make the copy start over.
    int code = SQLITE_OK;
    do {
        code = sqlite3_backup_step(backup.get(), -1);
        if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
            sqlite3_sleep(50);
        }
    } while (code == SQLITE_OK || code == SQLITE_BUSY || code == SQLITE_LOCKED);
    const std::int64_t pages = sqlite3_backup_pagecount(backup.get());
    backup.reset();
    if (code != SQLITE_DONE) {
        fail(source, from.get(), code, "backup failed reading");
    }
    return pages;
}

// The files that belong to the running process or to SQLite's handling of the live database.
bool leftOut(const fs::path& relative) {
    const std::string name = relative.string();
    return name == kDatabaseName || name == std::string(kDatabaseName) + "-wal" ||
           name == std::string(kDatabaseName) + "-shm" ||
           name == std::string(kDatabaseName) + "-journal" || name == "agent.lock" ||
           name == "ports.json";
}

void copyFiles(const fs::path& stateDir, const fs::path& destination, StateBackupReport& report) {
    std::error_code error;
    fs::recursive_directory_iterator it(stateDir, fs::directory_options::skip_permission_denied,
                                        error);
    // The agent keeps writing while this runs: a file that vanishes between the listing and the
    // copy is skipped (see the header), anything else stops the backup.
    for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
        const fs::path relative = it->path().lexically_relative(stateDir);
        const fs::path target = destination / relative;
        std::error_code entryError;
        if (it->is_directory(entryError)) {
            if (fs::equivalent(it->path(), destination, entryError)) {
                it.disable_recursion_pending(); // a backup made inside the state directory
                continue;
            }
            fs::create_directories(target);
            fs::permissions(target, it->status(entryError).permissions(), entryError);
            continue;
        }
        if (!it->is_regular_file(entryError) || leftOut(relative)) {
            continue;
        }
        if (!fs::copy_file(it->path(), target, entryError)) {
            if (!fs::exists(it->path())) {
                continue;
            }
            throw std::runtime_error("cannot copy " + it->path().string() + " to " +
                                     target.string() + ": " + entryError.message());
        }
        ++report.filesCopied;
        report.fileBytes += fs::file_size(target, entryError);
    }
    if (error) {
        // A folder removed mid-listing too: the copy may be short, so say so and let it be rerun.
        throw std::runtime_error("cannot list " + stateDir.string() + ": " + error.message() +
                                 "; run the backup again");
    }
}

} // namespace

StateBackupReport backupStateDirectory(const fs::path& stateDir, const fs::path& destination) {
    if (fs::exists(destination)) {
        throw std::runtime_error(destination.string() +
                                 " already exists: name a new directory for the backup");
    }
    fs::create_directories(destination);
    fs::permissions(destination, fs::perms::owner_all);

    StateBackupReport report;
    report.databasePages = copyDatabase(stateDir / kDatabaseName, destination / kDatabaseName);
    copyFiles(stateDir, destination, report);
    return report;
}

} // namespace gp::agent
