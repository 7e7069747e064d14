#pragma once

#include <gp/agent/store/Store.hpp>

#include <string>

namespace gp::agent::api {

/// A sentence staff can act on for why a message is where it is: the one table from Spine's and
/// our error codes to plain English (FailureReasons.cpp), used by every route that shows one.
/// The code itself is always shown next to it; an unknown code gets a sentence naming its kind.
std::string plainReason(const MessageRecord& message);

} // namespace gp::agent::api
