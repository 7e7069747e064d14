#pragma once

#include "Caller.hpp"

#include <string_view>

namespace gp::agent::api {

// Who may do what on the local API: the one table of it (docs/local-api.md, "Authentication and
// scopes"). Unknown requests fall to the strictest rule, so a route added without a thought for
// its scope needs a Full token rather than none.

/// The requests anyone on the machine may make without a token: /healthz and the status page's
/// static files (the page then asks for a token and sends it with its API calls).
bool isPublic(std::string_view method, std::string_view path);

/// The scope a request needs: Read for GET and HEAD; Operate for the staff actions (retry or
/// acknowledge a message, pause or resume sending); Full for everything else, which submits
/// clinical work (prescriptions, cancellations, referrals, GP2GP requests and acks).
Scope requiredScope(std::string_view method, std::string_view path);

} // namespace gp::agent::api
