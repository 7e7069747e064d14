// test.allowPlainHttp and the TLS keys: what gp-agent refuses to start with, and what it warns
// about in a test set-up (docs/security.md, "Transport: mutual TLS").

#include <gp/agent/config/Settings.hpp>

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

using namespace gp::agent;

namespace {

using Values = std::map<std::string, std::string>;

/// A practice configured for production: https everywhere, certificates both ways.
Values secure() {
    return {{"agent.odsCode", "A83008"},
            {"agent.partyKey", "A83008-9199121"},
            {"agent.asid", "200000001234"},
            {"spine.url", "https://msg.spine.example"},
            {"sds.url", "https://sds.spine.example/spine-directory"},
            {"ers.url", "https://ers.spine.example/FHIR/STU3"},
            {"tls.caFile", "/etc/gp-agent/tls/spine-ca.pem"},
            {"tls.certFile", "/etc/gp-agent/tls/endpoint.pem"},
            {"tls.keyFile", "/etc/gp-agent/tls/endpoint.key"},
            {"inbound.certFile", "/etc/gp-agent/tls/endpoint.pem"},
            {"inbound.keyFile", "/etc/gp-agent/tls/endpoint.key"}};
}

gp::Result<LoadedSettings> load(const Values& values) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> config = new Poco::Util::MapConfiguration;
    for (const auto& [key, value] : values) {
        config->setString(key, value);
    }
    return loadSettings(*config);
}

Values with(Values values, const Values& changes) {
    for (const auto& [key, value] : changes) {
        values[key] = value;
    }
    return values;
}

/// The key the refusal names, checking that it also tells how a test set-up gets past it.
std::string refusedKey(const Values& values) {
    const auto loaded = load(values);
    REQUIRE_FALSE(loaded.ok());
    return loaded.error().where;
}

} // namespace

TEST_CASE("transport security: https and certificates both ways start without warnings") {
    const auto loaded = load(secure());
    REQUIRE_MESSAGE(loaded.ok(), loaded.error().describe());
    CHECK(loaded->warnings.empty());
    CHECK(loaded->settings.inboundTls.enabled());
    // The Spine's CA vouches for senders too unless inbound.clientCaFile says otherwise.
    CHECK(loaded->settings.inboundTls.clientCaFile == "/etc/gp-agent/tls/spine-ca.pem");
    CHECK(loaded->settings.inboundTls.keyPrefix == "inbound");
    CHECK_FALSE(loaded->settings.allowPlainHttp);
}

TEST_CASE("transport security: each plain connection is refused, naming its key and the flag") {
    CHECK(refusedKey(with(secure(), {{"spine.url", "http://msg.spine.example"}})) == "spine.url");
    CHECK(refusedKey(with(secure(), {{"sds.url", "http://sds.example/d"}})) == "sds.url");
    CHECK(refusedKey(with(secure(), {{"ers.url", "http://ers.example/FHIR/STU3"},
                                     {"ers.tokenFile", "/etc/gp-agent/ers-token"}})) == "ers.url");
    CHECK(refusedKey(with(secure(), {{"inbound.certFile", ""}, {"inbound.keyFile", ""}})) ==
          "inbound.certFile");
    CHECK(refusedKey(with(secure(), {{"tls.certFile", ""}, {"tls.keyFile", ""}})) ==
          "tls.certFile");
    CHECK(refusedKey(with(secure(), {{"tls.verifyPeer", "false"}})) == "tls.verifyPeer");
    CHECK(refusedKey(with(secure(), {{"api.bind", "0.0.0.0"}})) == "api.certFile");
    const auto loaded = load(with(secure(), {{"spine.url", "http://msg.spine.example"}}));
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().message.find("test.allowPlainHttp") != std::string::npos);
}

TEST_CASE("transport security: test.allowPlainHttp starts plain with one WARNING per connection") {
    const auto loaded = load({{"agent.odsCode", "A83008"},
                              {"agent.partyKey", "A83008-9199121"},
                              {"agent.asid", "200000001234"},
                              {"test.allowPlainHttp", "true"}});
    REQUIRE_MESSAGE(loaded.ok(), loaded.error().describe());
    CHECK(loaded->settings.allowPlainHttp);
    std::vector<std::string> keys;
    for (const auto& warning : loaded->warnings) {
        CHECK(warning.rfind("PLAIN HTTP, TEST SET-UP ONLY (test.allowPlainHttp = true): ", 0) == 0);
        keys.push_back(warning.substr(warning.find("): ") + 3));
        keys.back() = keys.back().substr(0, keys.back().find(' '));
    }
    // e-RS is not configured (no ers.tokenFile), so its default URL is never dialled.
    CHECK(keys == std::vector<std::string>{"spine.url", "sds.url", "inbound.certFile"});
}

TEST_CASE("transport security: TLS files that cannot make a mutual-TLS listener are refused") {
    CHECK(refusedKey(with(secure(), {{"inbound.keyFile", ""}})) == "inbound.keyFile");
    CHECK(refusedKey(with(secure(), {{"api.certFile", "/etc/gp-agent/tls/api.pem"}})) ==
          "api.keyFile");
    // Mutual TLS needs a CA to check senders against: without one the endpoint would be open.
    CHECK(refusedKey(with(secure(), {{"tls.caFile", ""}})) == "inbound.clientCaFile");
    const auto loaded = load(with(secure(), {{"tls.caFile", ""},
                                             {"inbound.clientCaFile", "/etc/ca/spine.pem"},
                                             {"inbound.clientNames", " spine.test,, msg.spine "}}));
    REQUIRE_MESSAGE(loaded.ok(), loaded.error().describe());
    CHECK(loaded->settings.inboundTls.clientCaFile == "/etc/ca/spine.pem");
    CHECK(loaded->settings.inboundTls.clientNames ==
          std::vector<std::string>{"spine.test", "msg.spine"});
}

TEST_CASE("transport security: the local API may listen on a LAN address with its certificate") {
    const auto loaded = load(with(secure(), {{"api.bind", "192.168.1.20"},
                                             {"api.certFile", "/etc/gp-agent/tls/api.pem"},
                                             {"api.keyFile", "/etc/gp-agent/tls/api.key"}}));
    REQUIRE_MESSAGE(loaded.ok(), loaded.error().describe());
    CHECK(loaded->settings.apiTls.enabled());
    CHECK_FALSE(loaded->settings.apiTls.requiresClientCertificate()); // the token authenticates
    CHECK(loaded->warnings.empty());
}
