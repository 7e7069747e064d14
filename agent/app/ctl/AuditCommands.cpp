#include "Commands.hpp"

#include <gp/agent/Clock.hpp>
#include <gp/agent/store/Store.hpp>

#include <filesystem>
#include <iostream>

namespace gp::agent::ctl {

// audit list [--after N] [--limit N]
std::optional<int> auditList(const Context& ctx, const Args& args) {
    std::string after = "0";
    std::string limit = "100";
    for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
        if (args[i] == "--after") {
            after = args[i + 1];
        } else if (args[i] == "--limit") {
            limit = args[i + 1];
        }
    }
    const auto fetched = fetch(ctx, "/v1/audit?after=" + after + "&limit=" + limit);
    if (!fetched.object) {
        return fetched.exitCode;
    }
    forEachObject(fetched.object->getArray("rows"), [](const Object::Ptr& row) {
        std::cout << textOf(row, "seq") << "  " << textOf(row, "at") << "  " << textOf(row, "actor")
                  << "  " << textOf(row, "event") << "  " << textOf(row, "messageId") << "  "
                  << textOf(row, "detail") << "\n";
    });
    return kOk;
}

// Reads the database file, not the API: it needs no running agent.
std::optional<int> auditVerify(const Context& ctx, const Args& /*args*/) {
    const auto file = ctx.settings.stateDir / "gp-agent.db";
    if (!std::filesystem::exists(file)) {
        std::cerr << "no database at " << file.string() << "\n";
        return kUsage;
    }
    SystemClock clock;
    auto store = openSqliteStoreReadOnly(file, clock);
    const auto result = store->verifyAudit();
    if (result.intact) {
        std::cout << "audit trail intact: " << result.rowsChecked << " rows verified\n";
        if (result.rowsChecked > 0) {
            // Written down elsewhere, these let a later check prove no row was cut off the end.
            std::cout << "last row " << result.lastSeq << ", hash " << result.lastHash << "\n";
        }
        return kOk;
    }
    std::cout << "audit trail BROKEN at row " << result.firstBrokenSeq.value_or(0) << ": "
              << result.reason << " (" << result.rowsChecked << " rows checked)\n";
    return kFailed;
}

} // namespace gp::agent::ctl
