#pragma once

// The test PKI and the configuration that puts gp-agent and spine-mock on mutual TLS
// (docs/security.md, "Transport: mutual TLS"). Certificate names are those made by
// tests/support/make-test-pki.sh: spine, practice-a, practice-b, expired, wrong-ca, wrong-host.

#include <Poco/Net/Context.h>

#include <filesystem>
#include <string>

namespace gp::test {

/// The directory make-test-pki.sh filled; made once per test process, removed at exit.
const std::filesystem::path& testPki();

/// A client context trusting the test root CA and presenting <identity>.pem (empty: no
/// certificate at all).
Poco::Net::Context::Ptr tlsClientContext(const std::string& identity);

/// spine-mock keys: serve <certName>.pem, require a client certificate from the test root naming
/// practice-a.test or practice-b.test, and no plain HTTP. Use with SpineMock::useTls.
std::string spineMockTlsConfig(const std::string& certName = "spine");

/// gp-agent keys: present <identity>.pem to the Spine and verify it against the test root; serve
/// the inbound endpoint with <inboundCert>.pem (default: the identity's) to senders whose
/// certificate names spine.test; and no plain HTTP. The agent's URLs must be https (the harness
/// makes them from SpineMock::baseUrl()).
std::string agentTlsConfig(const std::string& identity, const std::string& inboundCert = "");

} // namespace gp::test
