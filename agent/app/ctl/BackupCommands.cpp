#include "Commands.hpp"

#include <gp/agent/config/Settings.hpp>
#include <gp/agent/store/StateBackup.hpp>

#include <iostream>

namespace gp::agent::ctl {

// backup DIR: works on the files, not through the API, so it needs read access to the state
// directory (root or the gp-agent user) and no running agent, but is safe beside one.
std::optional<int> backup(const Context& ctx, const Args& args) {
    if (args.size() != 1) {
        return std::nullopt;
    }
    if (ctx.settings.store.engine == "postgresql") {
        // The messages, inbox, transfers and audit are in the database, which only PostgreSQL's
        // own tools copy consistently; the files are the shared store.filesDir's.
        std::cerr << "store.engine is postgresql: gp-agentctl backup copies a SQLite store only.\n"
                     "Back up the database with pg_dump (or base backups with WAL archiving; "
                     "docs/operations.md, \"Hosted deployment\"), and store.filesDir ("
                  << filesDirOf(ctx.settings).string()
                  << ") with your file backups, at the same time.\n";
        return kUsage;
    }
    const auto report = backupStateDirectory(ctx.settings.stateDir, args[0]);
    std::cout << "backed up " << ctx.settings.stateDir.string() << " to " << args[0]
              << ": gp-agent.db (" << report.databasePages << " pages) and " << report.filesCopied
              << " other files (" << report.fileBytes << " bytes)\n";
    return kOk;
}

} // namespace gp::agent::ctl
