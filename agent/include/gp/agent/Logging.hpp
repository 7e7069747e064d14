#pragma once

#include <string>

namespace gp::agent {

/// Sends every logger to standard error (so systemd's journal) as
/// "2026-03-15T06:51:08.123Z information gp-agent.dispatcher: text", at `level`.
void configureLogging(const std::string& level);

} // namespace gp::agent
