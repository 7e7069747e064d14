#pragma once

#include <gp/Result.hpp>
#include <gp/mock/IsoDuration.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace Poco::Util {
class AbstractConfiguration;
}

namespace gp::mock {

/// What a configuration key holds; decides how its value is checked.
enum class KeyType { String, Port, Path, PartyList, LogLevel, Count, Duration, Boolean };

/// One declared key: every mock.* key is listed once, with its type, default and meaning.
struct ConfigKey {
    std::string_view name;
    KeyType type;
    std::string_view defaultValue; // empty: no default (required or optional, see description)
    std::string_view description;
};

/// Every key spine-mock reads, in the order `--help` and docs/spine-mock.md list them.
const std::vector<ConfigKey>& configKeys();

struct MockConfig;
/// Refuses a plain-HTTP listener unless mock.allowPlainHttp, and TLS settings that cannot make
/// a mutual-TLS listener; with the flag, adds a loud warning to `warnings`. Spine-mock runs this
/// before it starts listening.
Status checkListenerSecurity(const MockConfig& config, std::vector<std::string>& warnings);

struct MockConfig {
    std::string bind = "127.0.0.1";
    std::uint16_t port = 7680; // 0: the system picks a free port
    std::string stateDir;
    std::string partyKey = "YES-0000806";
    std::string cpaId = "S20001A000100";
    std::vector<std::string> knownSenders; // empty: any sender accepted
    std::string faultsFile;                // empty: no faults at start
    std::string logLevel = "information";
    std::string asid = "990101234567"; // Spine's ASID in the EPS route
    std::string registryFile;          // empty: no practices loaded at start
    /// EPS interactions answered with 202 and a Content-Location to poll (mock.deferredReplies).
    std::vector<std::string> deferredReplies;

    // What the directory publishes for GP2GP routes, so that tests can shorten an agent's retries.
    int gp2gpRetries = 2;
    IsoDuration gp2gpRetryInterval{"PT1M", std::chrono::minutes(1)};
    /// Persist duration by GP2GP interaction id; every interaction in gp2gpInteractions() is here.
    std::map<std::string, IsoDuration, std::less<>> gp2gpPersistDurations =
        defaultPersistDurations();

    // The forwarder's own retries towards a practice: capped doubling from the first delay.
    IsoDuration forwardRetryDelay{"PT1S", std::chrono::seconds(1)};
    IsoDuration forwardMaxDelay{"PT30S", std::chrono::seconds(30)};
    IsoDuration forwardTimeout{"PT30S", std::chrono::seconds(30)};
    /// Deliver a conversation's messages to a practice one at a time, in the order accepted.
    /// Off, a message held back by a retry is overtaken by later ones (tests of re-ordering).
    bool forwardInOrder = true;

    /// e-RS requests per second before 429 (a token bucket of one second's worth); 0: no limit.
    int ersRateLimit = 10;

    /// Mutual TLS, as the Spine requires (docs/spine-mock.md, "TLS"). With a certificate the one
    /// listener serves only TLS clients whose certificate chains to `caFile` (and names one of
    /// `clientNames`, when given); the forwarder presents the same certificate to practices and
    /// verifies theirs against `caFile`.
    struct Tls {
        std::string certFile; // PEM: certificate, then its issuers; empty: plain HTTP
        std::string keyFile;
        std::string caFile;
        std::vector<std::string> clientNames;
        bool enabled() const { return !certFile.empty(); }
    } tls;
    /// mock.allowPlainHttp: a listener without a certificate is a test set-up, allowed only so.
    bool allowPlainHttp = false;

    /// The persist duration of a GP2GP interaction; zero for one the mock does not route.
    std::chrono::milliseconds persistDuration(std::string_view interaction) const;
    static std::map<std::string, IsoDuration, std::less<>> defaultPersistDurations();

    /// Reads and checks every mock.* key. An invalid value is an Error whose `where` is the key.
    /// Keys under mock. that are not declared are added to `warnings`, one line each.
    static Result<MockConfig> fromConfiguration(const Poco::Util::AbstractConfiguration& config,
                                                std::vector<std::string>& warnings);
};

} // namespace gp::mock
