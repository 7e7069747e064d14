#pragma once

#include <string>

namespace gp::agent::api {

/// What a token allows. Ordered: each scope includes the ones before it.
enum class Scope {
    Read,    // GET everything: status, messages, transfers, audit (the tray's default)
    Operate, // and staff actions: retry, acknowledge, pause and resume sending
    Full,    // and clinical work: submit prescriptions, cancellations, referrals, GP2GP requests
};

/// Who made a local API request: the name of the token they presented and what it allows.
/// Every audit row written on a request's behalf names the caller through actor().
struct Caller {
    std::string name;
    Scope scope = Scope::Read;

    bool may(Scope needed) const { return static_cast<int>(scope) >= static_cast<int>(needed); }
    std::string actor() const { return "api:" + name; }
};

} // namespace gp::agent::api
