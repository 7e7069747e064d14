#pragma once

#include <string_view>
#include <vector>

namespace gp::mock {

/// One GP2GP interaction as spine-mock's directory publishes it. The persist durations are the
/// ones an older NHS library published (PROTOCOL.md §2); the CPA ids are the mock's own, stable so
/// that an agent can cache a route lookup and the forward-reliable endpoint can check it.
struct Gp2gpInteraction {
    std::string_view id;                     // e.g. RCMR_IN010000UK05
    std::string_view cpaId;                  // what eb:CPAId must be for this interaction
    std::string_view defaultPersistDuration; // ISO 8601
};

/// Every GP2GP interaction spine-mock routes, in PROTOCOL.md §2's order.
const std::vector<Gp2gpInteraction>& gp2gpInteractions();

/// The interaction with that id, or nullptr when spine-mock does not route it.
const Gp2gpInteraction* findGp2gpInteraction(std::string_view id);

} // namespace gp::mock
