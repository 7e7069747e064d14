#pragma once

#include <gp/agent/config/Practices.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gp::agent::api {

/// What a token allows. Ordered: each scope includes the ones before it.
enum class Scope {
    Read,    // GET everything: status, messages, transfers, audit (the tray's default)
    Operate, // and staff actions: retry, acknowledge, pause and resume sending
    Full,    // and clinical work: submit prescriptions, cancellations, referrals, GP2GP requests
};

/// "read", "operate", "full": the spelling of the tokens file, the CLI and error messages.
constexpr std::string_view toString(Scope scope) {
    switch (scope) {
    case Scope::Read:
        return "read";
    case Scope::Operate:
        return "operate";
    case Scope::Full:
        return "full";
    }
    return "read";
}

inline std::optional<Scope> parseScope(std::string_view text) {
    for (const Scope scope : {Scope::Read, Scope::Operate, Scope::Full}) {
        if (text == toString(scope)) {
            return scope;
        }
    }
    return std::nullopt;
}

/// Who made a local API request: the name of the token they presented and what it allows.
/// Every audit row written on a request's behalf names the caller through actor().
struct Caller {
    std::string name;
    Scope scope = Scope::Read;
    /// The Unix user gp-agentctl says ran it (X-Gp-Operator). Informational only: the token is
    /// what authenticates, so anyone holding a token can claim any name here.
    std::string operatorName = {};
    /// The practices (ODS codes) the token may act for; empty: every practice of the agent
    /// (docs/multi-practice.md).
    std::vector<std::string> practices = {};

    bool may(Scope needed) const { return static_cast<int>(scope) >= static_cast<int>(needed); }
    bool mayActFor(std::string_view odsCode) const {
        return practices.empty() ||
               std::any_of(practices.begin(), practices.end(), [&](const std::string& allowed) {
                   return sameOdsCode(allowed, odsCode);
               });
    }
    std::string actor() const {
        return operatorName.empty() ? "api:" + name : "api:" + name + " (cli:" + operatorName + ")";
    }
};

} // namespace gp::agent::api
