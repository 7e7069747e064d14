#include "TlsHarness.hpp"

#include "ProcessHarness.hpp"

#include <stdexcept>

namespace gp::test {

namespace {

std::string file(const std::string& name) {
    return (testPki() / name).string();
}

} // namespace

const std::filesystem::path& testPki() {
    // Static: one PKI per test process, removed with the TempDir when the process exits.
    static TempDir directory("gp-test-pki");
    static const bool made = [] {
        ChildProcess maker("/bin/sh", {GP_TEST_PKI_SCRIPT, (directory.path() / "pki").string()},
                           directory.path() / "make-test-pki.log");
        if (maker.waitForExit(std::chrono::seconds(60)) != 0) {
            throw std::runtime_error("make-test-pki.sh failed; see " +
                                     (directory.path() / "make-test-pki.log").string());
        }
        return true;
    }();
    static const std::filesystem::path pki = directory.path() / "pki";
    static_cast<void>(made);
    return pki;
}

Poco::Net::Context::Ptr tlsClientContext(const std::string& identity) {
    Poco::Net::Context::Params params;
    if (!identity.empty()) {
        params.certificateFile = file(identity + ".pem");
        params.privateKeyFile = file(identity + ".key");
    }
    params.caLocation = file("ca.pem");
    params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
    params.loadDefaultCAs = false;
    return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
}

std::string spineMockTlsConfig(const std::string& certName) {
    return "mock.allowPlainHttp = false\n"
           "mock.tls.certFile = " +
           file(certName + ".pem") + "\nmock.tls.keyFile = " + file(certName + ".key") +
           "\nmock.tls.caFile = " + file("ca.pem") +
           "\nmock.tls.clientNames = practice-a.test, practice-b.test\n";
}

std::string agentTlsConfig(const std::string& identity, const std::string& inboundCert) {
    const std::string served = inboundCert.empty() ? identity : inboundCert;
    return "test.allowPlainHttp = false\n"
           "tls.caFile = " +
           file("ca.pem") + "\ntls.certFile = " + file(identity + ".pem") +
           "\ntls.keyFile = " + file(identity + ".key") +
           "\ninbound.certFile = " + file(served + ".pem") +
           "\ninbound.keyFile = " + file(served + ".key") + "\ninbound.clientNames = spine.test\n";
}

} // namespace gp::test
