#pragma once

#include <gp/agent/transport/ServerTls.hpp>

#include <Poco/Net/Context.h>
#include <Poco/Net/ServerSocket.h>

namespace gp::agent {

/// The one place the agent's listeners get their TLS set-up: TLS 1.2 or later, the server
/// certificate and key, and, when a client CA is set, a required client certificate verified
/// against it (chain, validity dates and the expected client names) during the handshake.
/// Throws std::runtime_error naming the configuration key when a file cannot be used.
Poco::Net::Context::Ptr makeServerContext(const ServerTlsSettings& settings);

/// A listening socket on bind:port: TLS when `tls.enabled()`, plain TCP otherwise.
Poco::Net::ServerSocket listenOn(const std::string& bind, int port, const ServerTlsSettings& tls);

} // namespace gp::agent
