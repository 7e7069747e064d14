#pragma once

#include <gp/Result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace gp::mock {

/// A GP practice the mock routes GP2GP messages to: who it is on the Spine and where its MHS
/// inbound endpoint listens.
struct Practice {
    std::string odsCode;    // e.g. A83008
    std::string partyKey;   // e.g. A83008-9199121
    std::string asid;       // e.g. 200000001234
    std::string inboundUrl; // e.g. http://127.0.0.1:7671/inbound
};

/// Reads one practice from the admin API's JSON object. Errors name the bad field ("asid") and
/// say what it must be.
Result<Practice> parsePractice(std::string_view json);
/// Reads a JSON array of practices (the mock.registry file). Errors name the element: "[1].asid".
Result<std::vector<Practice>> parsePractices(std::string_view json);

/// {"odsCode", "partyKey", "asid", "inboundUrl"} in that order.
std::string toJson(const Practice& practice);

} // namespace gp::mock
