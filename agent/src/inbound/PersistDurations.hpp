#pragma once

#include <gp/agent/Clock.hpp>

#include <string_view>

namespace gp::agent {

/// How long a received message's MessageId is remembered for duplicate elimination: the
/// interaction's SDS persist duration (PROTOCOL.md §1-§2), since a sender stops retrying after it.
Milliseconds inboundPersistDuration(std::string_view interaction);

} // namespace gp::agent
