#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace gp::agent {

/// What one of the agent's listeners needs to serve TLS (docs/security.md, "Transport: mutual
/// TLS"). No certificate: the listener serves plain HTTP, which configuration allows only with
/// test.allowPlainHttp (inbound) or on a loopback address (local API).
struct ServerTlsSettings {
    std::filesystem::path certFile; // PEM: the server certificate, then its issuers
    std::filesystem::path keyFile;  // PEM, unencrypted, readable only by the agent's user
    /// Set: a client certificate issued under these CAs is required (mutual TLS).
    std::filesystem::path clientCaFile;
    /// Non-empty: the client certificate must name one of these hosts (DNS subjectAltName, or
    /// the common name when it has none), checked during the handshake.
    std::vector<std::string> clientNames;
    /// The configuration key prefix ("inbound", "api"), so that errors name the keys.
    std::string keyPrefix;

    bool enabled() const { return !certFile.empty(); }
    bool requiresClientCertificate() const { return !clientCaFile.empty(); }
};

} // namespace gp::agent
