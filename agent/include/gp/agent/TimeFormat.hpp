#pragma once

#include <gp/agent/Clock.hpp>

#include <string>

namespace gp::agent {

/// 2026-03-15T06:51:08.123Z: the form every time takes in the JSON API and the CLI.
std::string formatIsoTime(TimePoint time);

} // namespace gp::agent
