// gp-agentctl's commands, one handler each; gp_agentctl_main.cpp binds them to their names.
#pragma once

#include "CtlSupport.hpp"

namespace gp::agent::ctl {

// EpsCommands.cpp
std::optional<int> submitEps(const Context& ctx, const Args& args);
std::optional<int> epsCancel(const Context& ctx, const Args& args);
std::optional<int> epsShow(const Context& ctx, const Args& args);

// MessageCommands.cpp
std::optional<int> showMessage(const Context& ctx, const Args& args);
std::optional<int> status(const Context& ctx, const Args& args);

// AuditCommands.cpp
std::optional<int> auditList(const Context& ctx, const Args& args);
std::optional<int> auditVerify(const Context& ctx, const Args& args);
std::optional<int> auditExport(const Context& ctx, const Args& args);
std::optional<int> auditVerifyExport(const Context& ctx, const Args& args);

// TokenCommands.cpp
std::optional<int> tokenAdd(const Context& ctx, const Args& args);
std::optional<int> tokenList(const Context& ctx, const Args& args);
std::optional<int> tokenRevoke(const Context& ctx, const Args& args);

// BackupCommands.cpp
std::optional<int> backup(const Context& ctx, const Args& args);

// Gp2gpCommands.cpp
std::optional<int> gp2gpRequest(const Context& ctx, const Args& args);
std::optional<int> gp2gpShow(const Context& ctx, const Args& args);
std::optional<int> gp2gpList(const Context& ctx, const Args& args);
std::optional<int> gp2gpAck(const Context& ctx, const Args& args);

// ErsCommands.cpp
std::optional<int> ersRefer(const Context& ctx, const Args& args);
std::optional<int> ersShow(const Context& ctx, const Args& args);
std::optional<int> ersSearch(const Context& ctx, const Args& args);
std::optional<int> ersCancel(const Context& ctx, const Args& args);

} // namespace gp::agent::ctl
