#include "Commands.hpp"

#include <gp/agent/store/StateBackup.hpp>

#include <iostream>

namespace gp::agent::ctl {

// backup DIR: works on the files, not through the API, so it needs read access to the state
// directory (root or the gp-agent user) and no running agent, but is safe beside one.
std::optional<int> backup(const Context& ctx, const Args& args) {
    if (args.size() != 1) {
        return std::nullopt;
    }
    const auto report = backupStateDirectory(ctx.settings.stateDir, args[0]);
    std::cout << "backed up " << ctx.settings.stateDir.string() << " to " << args[0]
              << ": gp-agent.db (" << report.databasePages << " pages) and " << report.filesCopied
              << " other files (" << report.fileBytes << " bytes)\n";
    return kOk;
}

} // namespace gp::agent::ctl
