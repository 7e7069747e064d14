#pragma once

#include <gp/Result.hpp>
#include <gp/agent/Clock.hpp>
#include <gp/agent/config/Practices.hpp>
#include <gp/agent/store/Store.hpp>
#include <gp/agent/transport/HttpTransport.hpp>
#include <gp/agent/transport/ServerTls.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace Poco::Util {
class AbstractConfiguration;
}

namespace gp::agent {

/// One configuration key: declared once, here, with its type, default and meaning. The same
/// table drives validation, the warning about unknown keys, `gp-agent --help-config` and
/// docs/configuration.md.
struct KeyDeclaration {
    enum class Type { String, Integer, Boolean, Port, Duration, Path, Url };
    std::string key;
    Type type;
    std::string defaultValue; // empty: no default
    bool required;
    std::string description;
};

const std::vector<KeyDeclaration>& declaredKeys();

/// The agent's configuration after validation.
struct AgentSettings {
    std::filesystem::path stateDir;
    /// store.*: which engine keeps the state; with PostgreSQL, this instance's name in the fleet.
    struct StoreSettings {
        std::string engine = "sqlite"; // or "postgresql"
        std::string url;               // may hold a password: log maskStoreUrl(url) only
        std::string instance;          // postgresql: unique in the fleet (host name by default)
    } store;
    /// store.filesDir: message bodies and received files (inbox/, gp2gp/, ers/); empty in settings
    /// made by hand: see filesDirOf.
    std::filesystem::path filesDir;
    std::string odsCode;
    std::string partyKey;
    std::string asid;
    /// Every practice the agent acts for, the default (agent.* above) first, then those of
    /// agent.practicesFile (docs/multi-practice.md). Empty in settings made by hand: see
    /// practicesOf.
    std::vector<Practice> practices;

    std::string apiBind;
    int apiPort = 7670;
    std::filesystem::path apiTokenFile;
    std::filesystem::path apiTokensFile; // named tokens (docs/security.md)
    std::size_t apiMaxBodyBytes = 1024 * 1024;
    int apiConnections = 8;   // requests served at once
    ServerTlsSettings apiTls; // api.certFile, api.keyFile: a server certificate only

    std::string inboundBind;
    int inboundPort = 7671;
    std::size_t inboundMaxBodyBytes = 32 * 1024 * 1024;
    ServerTlsSettings inboundTls; // inbound.*: mutual TLS, as the Spine requires

    /// mhs.*: the MHS-adaptor-compatible outbound front (docs/mhs-compat.md), loopback only.
    bool mhsEnabled = false;
    std::string mhsBind = "127.0.0.1";
    int mhsPort = 7672;
    int mhsConnections = 4;

    /// test.allowPlainHttp: http:// URLs and a plain inbound endpoint are allowed, with warnings.
    bool allowPlainHttp = false;

    std::string sdsUrl;
    Milliseconds sdsCacheTtl{15 * 60 * 1000};

    struct Gp2gp {
        std::filesystem::path importDir;
        std::filesystem::path recordSource;
        std::uint64_t largeThreshold = 4'500'000;
        bool autoAck = true;
        Milliseconds finalAckTimeout{8LL * 24 * 3600 * 1000};
        std::optional<Milliseconds> receiveTimeout; // unset: computed from persist durations
        std::uint64_t maxAttachmentBytes = 100ULL * 1024 * 1024;
        std::uint64_t maxRecordBytes = 375ULL * 1024 * 1024;
    } gp2gp;

    std::string spineUrl;
    std::string spinePartyKey;
    std::string spineCpaId;
    std::string spineAsid;

    TransportSettings transport;

    int dispatchThreads = 32;
    int dispatchConnectionsPerEndpoint = 8;
    Milliseconds dispatchLease{120000};
    Milliseconds retryBaseDelay{1000};
    Milliseconds retryMaxDelay{60000};
    Milliseconds epsPersistDuration{300000};
    int epsMaxAttempts = 0;

    /// The e-Referral Service (docs/ers.md).
    struct Ers {
        std::string url; // API base, ending in /FHIR/STU3
        std::string businessFunction;
        std::filesystem::path tokenFile; // empty: e-RS not configured (requests are refused)
        Milliseconds persistDuration{3600000};
    } ers;

    std::string logLevel;
};

struct LoadedSettings {
    AgentSettings settings;
    std::vector<std::string> warnings; // unknown keys, e.g. "unknown key 'spine.ulr' ignored"
};

/// The practices of `settings`, for a PracticeDirectory: `settings.practices`, or when that is
/// empty the one practice of agent.odsCode, agent.partyKey and agent.asid.
std::vector<Practice> practicesOf(const AgentSettings& settings);

/// `url` (store.url) with any password replaced by ***, for logs and error messages.
std::string maskStoreUrl(std::string_view url);

/// The store `settings` name, for openStore.
StoreLocation storeLocationOf(const AgentSettings& settings);

/// Where message bodies and received files live: store.filesDir, or agent.stateDir.
std::filesystem::path filesDirOf(const AgentSettings& settings);

/// Validates every declared key. The first invalid value is an Error whose `where` is the key.
Result<LoadedSettings> loadSettings(const Poco::Util::AbstractConfiguration& config);

/// Refuses settings that would send or receive Spine traffic without (mutual) TLS, or expose the
/// local API's token on a LAN in clear text, unless test.allowPlainHttp is set; with it, adds a
/// loud warning per plain connection to `warnings`. The Error's `where` is the key to change.
Status checkTransportSecurity(const AgentSettings& settings, std::vector<std::string>& warnings);

/// Parses an ISO 8601 duration of days, hours, minutes and seconds, as SDS publishes them:
/// "PT5M", "PT4H10M", "P8D", "PT0.5S".
Result<Milliseconds> parseIsoDuration(std::string_view text);

/// The key table as Markdown, for docs/configuration.md and `--help-config`.
std::string describeKeysAsMarkdown();

} // namespace gp::agent
