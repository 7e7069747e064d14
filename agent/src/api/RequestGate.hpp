#pragma once

#include "Caller.hpp"

#include <cstddef>
#include <optional>

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
} // namespace Poco::Net

namespace gp::agent::api {

class TokenRegistry;

// What every local API request passes before a route sees it (docs/local-api.md): size limits,
// then (for all but the public requests) the token and its scope.

/// The longest request target (path and query) the API accepts; ids are 36 characters.
inline constexpr std::size_t kMaxUriBytes = 2048;
/// The most header bytes (names and values together) the API accepts.
inline constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
/// The header that names the Unix user gp-agentctl ran as (informational, see Caller).
inline constexpr const char* kOperatorHeader = "X-Gp-Operator";

/// False after answering 414 (target too long), 431 (headers too large) or 413 (a declared body
/// larger than `maxBodyBytes`, whatever the route: routes that read bodies also stop at it while
/// reading, for bodies sent without a length).
bool withinLimits(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                  std::size_t maxBodyBytes);

/// The caller the bearer token belongs to, when it may make this request; nothing after answering
/// 401 (no token, or one nobody issued) or 403 (a token whose scope is too small, naming the
/// scope needed).
std::optional<Caller> admit(Poco::Net::HTTPServerRequest& request,
                            Poco::Net::HTTPServerResponse& response, TokenRegistry& tokens);

} // namespace gp::agent::api
