#pragma once

// api::Caller moved to the public headers so gp-agentctl's token commands share Scope's spelling.
#include <gp/agent/api/Caller.hpp>
