// gp-agentctl token add/list/revoke: the named tokens of the local API (docs/security.md).
// They edit the tokens file directly (the agent re-reads it when it changes), so they work
// whether or not the agent is running; whoever runs them needs to be able to write that file.

#include "Commands.hpp"

#include <gp/agent/Clock.hpp>
#include <gp/agent/FilePermissions.hpp>
#include <gp/agent/Files.hpp>
#include <gp/agent/TimeFormat.hpp>
#include <gp/agent/api/ApiTokens.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>

namespace gp::agent::ctl {

namespace {

// The entries of the tokens file; nothing (after saying why) when it cannot be used.
std::optional<std::vector<api::TokenEntry>> readTokens(const std::filesystem::path& file) {
    if (!std::filesystem::exists(file)) {
        return std::vector<api::TokenEntry>{};
    }
    if (auto problem = ownerOnlyProblem(file, "api.tokensFile")) {
        std::cerr << *problem << "\n";
        return std::nullopt;
    }
    auto parsed = api::parseTokenFile(readWholeFile(file));
    if (!parsed) {
        std::cerr << "api.tokensFile " << file.string() << ": " << parsed.error().describe()
                  << "\n";
        return std::nullopt;
    }
    return std::move(parsed).value();
}

void writeTokens(const std::filesystem::path& file, const std::vector<api::TokenEntry>& entries) {
    // Run as root, the file stays its owner's (the agent's user), so the agent can still read it.
    writeFileAtomically(file, api::formatTokenFile(entries), 0600, ownerToKeep(file));
}

} // namespace

// token add NAME [--scope read|operate|full] [--practices all|ODS,ODS...]
std::optional<int> tokenAdd(const Context& ctx, const Args& args) {
    if (args.empty()) {
        return std::nullopt;
    }
    const std::string& name = args[0];
    api::Scope scope = api::Scope::Read; // what a tray on a staff workstation needs
    std::vector<std::string> practices;  // every practice of the agent
    for (std::size_t i = 1; i < args.size(); ++i) {
        if (args[i] == "--scope" && i + 1 < args.size()) {
            const auto parsed = api::parseScope(args[++i]);
            if (!parsed) {
                std::cerr << "--scope must be read, operate or full\n";
                return kUsage;
            }
            scope = *parsed;
        } else if (args[i] == "--practices" && i + 1 < args.size()) {
            auto parsed = api::parseTokenPractices(args[++i]);
            if (!parsed) {
                std::cerr << "--practices: " << parsed.error().message << "\n";
                return kUsage;
            }
            practices = std::move(parsed).value();
        } else {
            return std::nullopt;
        }
    }
    if (!api::validTokenName(name) || name == api::kAdminTokenName) {
        std::cerr << "NAME must be 1 to 64 of A-Z a-z 0-9 . _ - (starting with a letter or digit)"
                     " and not "
                  << api::kAdminTokenName << "\n";
        return kUsage;
    }
    const auto& file = ctx.settings.apiTokensFile;
    auto entries = readTokens(file);
    if (!entries) {
        return kFailed;
    }
    if (std::any_of(entries->begin(), entries->end(),
                    [&](const api::TokenEntry& entry) { return entry.name == name; })) {
        std::cerr << "a token named " << name << " exists; revoke it first to replace it\n";
        return kFailed;
    }
    const std::string token = api::newSecretToken();
    SystemClock clock;
    entries->push_back({name, scope, formatIsoTime(clock.now()), api::tokenHash(token), practices});
    writeTokens(file, *entries);
    if (ctx.json) {
        Object out;
        out.set("name", name);
        out.set("scope", std::string(api::toString(scope)));
        out.set("practices", api::formatTokenPractices(practices));
        out.set("token", token);
        std::cout << stringify(out) << "\n";
        return kOk;
    }
    std::cout << token << "\n";
    std::cerr << "token " << name << " (scope " << api::toString(scope) << ", practices "
              << api::formatTokenPractices(practices)
              << ") added; it is shown only now: put it in the workstation's configuration.\n";
    return kOk;
}

// token list
std::optional<int> tokenList(const Context& ctx, const Args& args) {
    if (!args.empty()) {
        return std::nullopt;
    }
    const auto entries = readTokens(ctx.settings.apiTokensFile);
    if (!entries) {
        return kFailed;
    }
    if (ctx.json) {
        Array::Ptr list = new Array;
        for (const auto& entry : *entries) {
            Object::Ptr item = new Object;
            item->set("name", entry.name);
            item->set("scope", std::string(api::toString(entry.scope)));
            item->set("created", entry.created);
            item->set("practices", api::formatTokenPractices(entry.practices));
            list->add(item);
        }
        Object out;
        out.set("tokens", list);
        std::cout << stringify(out) << "\n";
        return kOk;
    }
    std::cout << api::kAdminTokenName << "  full  all  (api.tokenFile "
              << ctx.settings.apiTokenFile.string() << ")\n";
    for (const auto& entry : *entries) {
        std::cout << entry.name << "  " << api::toString(entry.scope) << "  "
                  << api::formatTokenPractices(entry.practices) << "  " << entry.created << "\n";
    }
    return kOk;
}

// token revoke NAME
std::optional<int> tokenRevoke(const Context& ctx, const Args& args) {
    if (args.size() != 1) {
        return std::nullopt;
    }
    const auto& file = ctx.settings.apiTokensFile;
    auto entries = readTokens(file);
    if (!entries) {
        return kFailed;
    }
    const auto found =
        std::find_if(entries->begin(), entries->end(),
                     [&](const api::TokenEntry& entry) { return entry.name == args[0]; });
    if (found == entries->end()) {
        std::cerr << "no token named " << args[0];
        if (args[0] == api::kAdminTokenName) {
            std::cerr << " in the tokens file: replace api.tokenFile and restart to change it";
        }
        std::cerr << "\n";
        return kFailed;
    }
    entries->erase(found);
    writeTokens(file, *entries);
    std::cout << "token " << args[0] << " revoked: the agent refuses it from its next request\n";
    return kOk;
}

} // namespace gp::agent::ctl
