#pragma once

#include <gp/agent/transport/ServerTls.hpp>

#include <Poco/Net/Context.h>

namespace gp::agent {

/// What gp-agentctl, on the agent's own server, uses to reach a local API that serves HTTPS: it
/// trusts exactly the configured api.certFile (pinned: that certificate, or an issuer in the
/// file, is the trust anchor), so no CA bundle or host name has to match for a loopback or LAN
/// address. Defined beside the listeners' TLS set-up (TlsServerContext.cpp).
Poco::Net::Context::Ptr apiClientContext(const ServerTlsSettings& api);

} // namespace gp::agent
