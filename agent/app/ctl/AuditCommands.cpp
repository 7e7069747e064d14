#include "Commands.hpp"

#include <gp/agent/Clock.hpp>
#include <gp/agent/config/Settings.hpp>
#include <gp/agent/store/AuditExport.hpp>
#include <gp/agent/store/Store.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

namespace gp::agent::ctl {

namespace {

/// The agent's database, read-only, for the commands that need no running agent; nothing, after
/// saying where it was looked for, when there is none. A PostgreSQL store is opened as instance
/// "<store.instance>-ctl": the running agent holds its own name.
std::unique_ptr<Store> openDatabaseReadOnly(const Context& ctx, const Clock& clock) {
    if (ctx.settings.store.engine == "postgresql") {
        StoreLocation location = storeLocationOf(ctx.settings);
        location.instance += "-ctl";
        location.contendsForWorkflows = false; // never hold up the agents' workflows
        try {
            return openStore(location, clock);
        } catch (const std::exception& e) {
            std::cerr << "cannot open the PostgreSQL store " << maskStoreUrl(ctx.settings.store.url)
                      << ": " << e.what() << "\n";
            return nullptr;
        }
    }
    const auto file = ctx.settings.stateDir / "gp-agent.db";
    if (!std::filesystem::exists(file)) {
        std::cerr << "no database at " << file.string() << "\n";
        return nullptr;
    }
    return openSqliteStoreReadOnly(file, clock);
}

} // namespace

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
        const std::string patient = textOf(row, "nhsNumber"); // "" when no patient is concerned
        std::cout << textOf(row, "seq") << "  " << textOf(row, "at") << "  " << textOf(row, "actor")
                  << "  " << textOf(row, "event") << "  " << textOf(row, "messageId") << "  "
                  << (patient.empty() ? "-" : patient) << "  " << textOf(row, "detail") << "\n";
    });
    return kOk;
}

// Reads the database file, not the API: it needs no running agent.
std::optional<int> auditVerify(const Context& ctx, const Args& /*args*/) {
    SystemClock clock;
    const auto store = openDatabaseReadOnly(ctx, clock);
    if (!store) {
        return kUsage;
    }
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

// audit export FILE: reads the database file (no running agent needed), like audit verify.
std::optional<int> auditExport(const Context& ctx, const Args& args) {
    if (args.size() != 1) {
        return std::nullopt;
    }
    SystemClock clock;
    const auto store = openDatabaseReadOnly(ctx, clock);
    if (!store) {
        return kUsage;
    }
    const auto check = store->verifyAudit();
    // The export holds NHS numbers: owner-only, like the database it comes from.
    const std::filesystem::path target = args[0];
    const std::string temporary = target.string() + ".tmp";
    AuditExportSummary summary;
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) {
            std::cerr << "cannot write " << temporary << "\n";
            return kFailed;
        }
        std::filesystem::permissions(temporary, std::filesystem::perms::owner_read |
                                                    std::filesystem::perms::owner_write);
        summary = writeAuditExport(*store, out, clock.now());
    }
    std::filesystem::rename(temporary, target);
    std::cout << "exported " << summary.rows << " audit rows to " << target.string()
              << "\nchain head: row " << summary.lastSeq << ", hash " << summary.lastHash << "\n";
    if (!check.intact) {
        std::cout << "WARNING: the trail in the database is BROKEN at row "
                  << check.firstBrokenSeq.value_or(0) << ": " << check.reason << "\n";
        return kFailed;
    }
    return kOk;
}

// audit verify-export FILE: needs only the file, so it runs on any machine with gp-agentctl.
std::optional<int> auditVerifyExport(const Context& /*ctx*/, const Args& args) {
    if (args.size() != 1) {
        return std::nullopt;
    }
    std::ifstream in(args[0], std::ios::binary);
    if (!in) {
        std::cerr << "cannot read " << args[0] << "\n";
        return kUsage;
    }
    const auto result = verifyAuditExport(in);
    if (result.intact) {
        std::cout << "audit export intact: " << result.rowsChecked << " rows verified\n"
                  << "chain head: row " << result.lastSeq << ", hash " << result.lastHash << "\n";
        return kOk;
    }
    std::cout << "audit export BROKEN at row " << result.firstBrokenSeq.value_or(0) << ": "
              << result.reason << " (" << result.rowsChecked << " rows checked)\n";
    return kFailed;
}

} // namespace gp::agent::ctl
