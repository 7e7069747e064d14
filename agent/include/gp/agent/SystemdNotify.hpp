// Telling systemd how the service is doing (sd_notify's protocol, without libsystemd): with
// Type=notify systemd waits for READY=1 before it counts gp-agent as started, so units ordered
// after it and `systemctl start` see it only once its listeners are open.
#pragma once

#include <string>
#include <string_view>

namespace gp::agent {

/// Sends `state` ("READY=1", "STOPPING=1", "STATUS=...", newline-separated) as one datagram to
/// the socket systemd names in $NOTIFY_SOCKET. Does nothing, and returns false, when the variable
/// is unset (not started by systemd) or the socket cannot be reached: the service runs the same.
bool notifySystemd(std::string_view state);

/// The same, to an explicit socket path ('@' at the start: the abstract namespace), for tests.
bool notifySystemdAt(const std::string& socketPath, std::string_view state);

} // namespace gp::agent
