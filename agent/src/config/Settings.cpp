#include <gp/agent/Files.hpp>
#include <gp/agent/config/Practices.hpp>
#include <gp/agent/config/Settings.hpp>

#include <Poco/Environment.h>
#include <Poco/NumberParser.h>
#include <Poco/URI.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace gp::agent {

namespace {

using Type = KeyDeclaration::Type;

// Defaults suit a practice server; the spine.* defaults point at a local spine-mock so that a
// newcomer's first run needs no NHS network. Production configuration sets spine.url to the
// Spine's MHS endpoint and the tls.* keys to the practice's certificates.
const std::vector<KeyDeclaration> kKeys = {
    {"agent.stateDir", Type::Path, "/var/lib/gp-agent", false,
     "Directory for the database and payload files; created if missing."},
    {"store.engine", Type::String, "sqlite", false,
     "Where the state is kept: sqlite (a file in agent.stateDir, one agent) or postgresql (a "
     "database shared by the instances of a hosted fleet; docs/operations.md, \"Hosted "
     "deployment\")."},
    {"store.url", Type::String, "", false,
     "With store.engine=postgresql (required then): the database, as a libpq URI "
     "(postgresql://user@host:5432/db?sslmode=verify-full) or key=value string. Put a password "
     "in ~/.pgpass or PGPASSFILE rather than here; it is never logged."},
    {"store.instance", Type::String, "", false,
     "With store.engine=postgresql: this instance's name, unique in the fleet (its audit chain "
     "and its lock in the database); default the host name. Letters, digits, '.', '_', '-'."},
    {"store.filesDir", Type::Path, "", false,
     "Directory for message bodies, received messages (inbox/), GP2GP (gp2gp/) and e-RS (ers/) "
     "files; default agent.stateDir. In a fleet every instance must see the same directory at "
     "the same path (a shared file system)."},
    {"agent.odsCode", Type::String, "", true, "The practice's ODS code, e.g. A83008."},
    {"agent.partyKey", Type::String, "", true,
     "The practice's MHS party key (From party of every message), e.g. A83008-9199121."},
    {"agent.asid", Type::String, "", true, "The practice system's ASID (12 digits)."},
    {"agent.practicesFile", Type::Path, "", false,
     "File listing further practices this agent acts for, one a line: ODS PARTYKEY ASID "
     "[CERTFILE KEYFILE] (docs/multi-practice.md). agent.odsCode, agent.partyKey and agent.asid "
     "stay the default practice; empty: that one practice only."},
    {"api.bind", Type::String, "127.0.0.1", false, "Address the local API listens on."},
    {"api.port", Type::Port, "7670", false, "Port of the local API; 0 picks a free port."},
    {"api.tokenFile", Type::Path, "", false,
     "File holding the API bearer token; default <stateDir>/api-token, created with a random "
     "token (mode 0600) when missing. Its token is named local-admin and has full scope."},
    {"api.tokensFile", Type::Path, "", false,
     "File of named API tokens (one per workstation, each with a scope), kept as SHA-256 hashes; "
     "default <stateDir>/api-tokens, created empty (mode 0600) when missing. Managed with "
     "gp-agentctl token add/list/revoke; re-read when it changes."},
    {"api.maxBodyBytes", Type::Integer, "1048576", false,
     "Largest request body the local API accepts."},
    {"api.connections", Type::Integer, "8", false,
     "Requests the local API serves at once (1 to 256): one kept-alive connection each; more "
     "wait for a free one. Worker threads start with the load and end when idle."},
    {"api.certFile", Type::Path, "", false,
     "Server certificate (PEM, then its issuers) for HTTPS on the local API; needed when "
     "api.bind is not a loopback address. Callers still authenticate with the token."},
    {"api.keyFile", Type::Path, "", false, "Private key of api.certFile (PEM, unencrypted)."},
    {"inbound.bind", Type::String, "0.0.0.0", false,
     "Address the inbound MHS endpoint listens on."},
    {"inbound.port", Type::Port, "7671", false, "Port of the inbound MHS endpoint; 0 picks one."},
    {"inbound.maxBodyBytes", Type::Integer, "33554432", false,
     "Largest message the inbound endpoint accepts; bodies are streamed to files."},
    {"inbound.certFile", Type::Path, "", false,
     "Server certificate (PEM, then its issuers) of the inbound endpoint; required unless "
     "test.allowPlainHttp."},
    {"inbound.keyFile", Type::Path, "", false,
     "Private key of inbound.certFile (PEM, unencrypted)."},
    {"inbound.clientCaFile", Type::Path, "", false,
     "CA certificates (PEM) a sender's client certificate must chain to; default tls.caFile. A "
     "sender without a valid client certificate is refused during the handshake."},
    {"inbound.clientNames", Type::String, "", false,
     "Comma-separated host names; the sender's client certificate must name one of them "
     "(subjectAltName DNS, or CN). Empty: any certificate from inbound.clientCaFile."},
    {"mhs.enabled", Type::Boolean, "false", false,
     "Start the MHS-adaptor-compatible outbound front (docs/mhs-compat.md)."},
    {"mhs.bind", Type::String, "127.0.0.1", false,
     "Address of the MHS front; must be a loopback address (its callers are not "
     "authenticated)."},
    {"mhs.port", Type::Port, "7672", false, "Port of the MHS front; 0 picks a free port."},
    {"mhs.connections", Type::Integer, "4", false,
     "Requests the MHS front serves at once (1 to 256), like api.connections."},
    {"sds.url", Type::Url, "http://127.0.0.1:7680/spine-directory", false,
     "Base URL of the Spine Directory Service route lookup (or spine-mock's imitation)."},
    {"sds.cacheTtl", Type::Duration, "PT15M", false, "How long a route lookup answer is reused."},
    {"gp2gp.importDir", Type::Path, "", false,
     "Where received records are written, one folder per transfer; default "
     "<stateDir>/gp2gp-import."},
    {"gp2gp.recordSource", Type::Path, "", false,
     "Where records to send are read from, one folder per NHS number; default "
     "<stateDir>/gp2gp-records."},
    {"gp2gp.largeThreshold", Type::Integer, "4500000", false,
     "Extracts and attachments larger than this (bytes) are compressed or sent in fragments."},
    {"gp2gp.autoAck", Type::Boolean, "true", false,
     "Send the final acknowledgement as soon as a record is complete; false: wait for "
     "POST /v1/gp2gp/transfers/{id}/ack."},
    {"gp2gp.finalAckTimeout", Type::Duration, "P8D", false,
     "Sending role: fail the transfer (99) when no final acknowledgement arrives in this time."},
    {"gp2gp.receiveTimeout", Type::Duration, "", false,
     "Requesting role: how long to wait for all parts; default: the extract's persist duration "
     "plus each expected part's."},
    {"gp2gp.maxAttachmentBytes", Type::Integer, "104857600", false,
     "Largest single attachment accepted (100 MB, as receiving systems cap it)."},
    {"gp2gp.maxRecordBytes", Type::Integer, "393216000", false,
     "Largest whole record accepted (375 MB)."},
    {"spine.url", Type::Url, "http://127.0.0.1:7680", false,
     "Base URL of the Spine MHS (or spine-mock)."},
    {"spine.partyKey", Type::String, "YES-0000806", false, "Spine's party key (To party)."},
    {"spine.cpaId", Type::String, "S20001A000100", false, "CPA id for EPS messages."},
    {"spine.asid", Type::String, "990000000000", false, "Spine's ASID for EPS messages."},
    {"tls.verifyPeer", Type::Boolean, "true", false,
     "Verify the server certificate and host name. Turn off only in a test lab."},
    {"tls.caFile", Type::Path, "", false, "CA bundle for the Spine's certificate (PEM)."},
    {"tls.certFile", Type::Path, "", false, "Client certificate for mutual TLS (PEM)."},
    {"tls.keyFile", Type::Path, "", false, "Client private key for mutual TLS (PEM)."},
    {"tls.keyPassword", Type::String, "", false, "Password of tls.keyFile, if encrypted."},
    {"http.connectTimeout", Type::Duration, "PT5S", false, "TCP and TLS connect timeout."},
    {"http.timeout", Type::Duration, "PT30S", false, "Whole-request timeout for one attempt."},
    {"dispatch.threads", Type::Integer, "32", false,
     "Sender threads (1 to 256): how many messages are sent, or have their outcome recorded, "
     "at once. A sender mostly waits for Spine or for the disk, so many pay off even on two "
     "cores; idle ones cost nothing."},
    {"dispatch.connectionsPerEndpoint", Type::Integer, "8", false,
     "Requests on their way to one endpoint (scheme, host and port) at once, each on a kept-alive "
     "connection (1 to 64)."},
    {"dispatch.lease", Type::Duration, "PT2M", false,
     "How long a claimed message stays with the thread sending it. A message whose outcome "
     "could not be recorded (full disk) is sent again once it has passed; longer than "
     "http.timeout."},
    {"retry.baseDelay", Type::Duration, "PT1S", false,
     "Shortest wait before a retry; the backoff doubles from here."},
    {"retry.maxDelay", Type::Duration, "PT1M", false, "Longest backoff between two attempts."},
    {"eps.persistDuration", Type::Duration, "PT5M", false,
     "How long an EPS message may wait for Spine's acknowledgement before it expires."},
    {"eps.maxAttempts", Type::Integer, "0", false,
     "Attempts before an EPS message fails; 0 means until the persist duration runs out."},
    {"ers.url", Type::Url, "http://127.0.0.1:7680/referrals/FHIR/STU3", false,
     "Base URL of the e-Referral Service FHIR STU3 API (or spine-mock's imitation)."},
    {"ers.businessFunction", Type::String, "REFERRING_CLINICIAN", false,
     "NHSD-eRS-Business-Function sent on every e-RS call: REFERRING_CLINICIAN, "
     "REFERRING_CLINICIAN_ADMIN or REFERRING_ADMIN (which may not attach letters)."},
    {"ers.tokenFile", Type::Path, "", false,
     "File holding the bearer token for e-RS, read each time a call is queued (so it can be "
     "renewed in place); unset: POST /v1/ers/referrals answers 503."},
    {"ers.persistDuration", Type::Duration, "PT1H", false,
     "How long one e-RS call may keep being retried (429, 503, timeouts) before it expires."},
    {"log.level", Type::String, "information", false,
     "error, warning, notice, information, debug or trace."},
    {"test.allowPlainHttp", Type::Boolean, "false", false,
     "Test set-ups only: allow http:// Spine, SDS and e-RS URLs, a plain inbound endpoint and "
     "tls.verifyPeer=false, each logged as a WARNING at start-up. Never in a practice."},
};

std::string typeName(Type type) {
    switch (type) {
    case Type::String:
        return "text";
    case Type::Integer:
        return "integer";
    case Type::Boolean:
        return "true/false";
    case Type::Port:
        return "port";
    case Type::Duration:
        return "ISO 8601 duration";
    case Type::Path:
        return "path";
    case Type::Url:
        return "URL";
    }
    return "text";
}

class Reader {
public:
    explicit Reader(const Poco::Util::AbstractConfiguration& config) : m_config(config) {}

    const KeyDeclaration& declaration(const std::string& key) const {
        auto found = std::find_if(kKeys.begin(), kKeys.end(),
                                  [&](const KeyDeclaration& d) { return d.key == key; });
        if (found == kKeys.end()) {
            throw std::logic_error("configuration key not declared: " + key);
        }
        return *found;
    }

    Result<std::string> raw(const std::string& key) const {
        const auto& decl = declaration(key);
        std::string value = m_config.getString(key, decl.defaultValue);
        // Trailing blanks are easy to leave in a properties file and never meaningful here.
        while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
            value.pop_back();
        }
        if (decl.required && value.empty()) {
            return failure(key, "is required (" + decl.description + ")");
        }
        return value;
    }

    Result<std::int64_t> integer(const std::string& key, std::int64_t min, std::int64_t max) const {
        auto text = raw(key);
        if (!text) {
            return text.error();
        }
        Poco::Int64 value = 0;
        if (!Poco::NumberParser::tryParse64(*text, value)) {
            return failure(key, "must be a whole number, not '" + *text + "'");
        }
        if (value < min || value > max) {
            return failure(key, "must be between " + std::to_string(min) + " and " +
                                    std::to_string(max) + ", not " + *text);
        }
        return static_cast<std::int64_t>(value);
    }

    Result<bool> boolean(const std::string& key) const {
        auto text = raw(key);
        if (!text) {
            return text.error();
        }
        if (*text == "true" || *text == "yes" || *text == "on" || *text == "1") {
            return true;
        }
        if (*text == "false" || *text == "no" || *text == "off" || *text == "0") {
            return false;
        }
        return failure(key, "must be true or false, not '" + *text + "'");
    }

    Result<Milliseconds> duration(const std::string& key) const {
        auto text = raw(key);
        if (!text) {
            return text.error();
        }
        auto parsed = parseIsoDuration(*text);
        if (!parsed) {
            return failure(key, parsed.error().message);
        }
        return *parsed;
    }

    Result<std::string> url(const std::string& key) const {
        auto text = raw(key);
        if (!text) {
            return text.error();
        }
        try {
            Poco::URI uri(*text);
            if ((uri.getScheme() != "http" && uri.getScheme() != "https") ||
                uri.getHost().empty()) {
                return failure(key, "must be an http:// or https:// URL, not '" + *text + "'");
            }
        } catch (const Poco::Exception&) {
            return failure(key, "is not a valid URL: '" + *text + "'");
        }
        std::string value = *text;
        while (!value.empty() && value.back() == '/') {
            value.pop_back();
        }
        return value;
    }

private:
    const Poco::Util::AbstractConfiguration& m_config;
};

void collectKeys(const Poco::Util::AbstractConfiguration& config, const std::string& prefix,
                 std::vector<std::string>& out) {
    Poco::Util::AbstractConfiguration::Keys keys;
    config.keys(prefix, keys);
    if (keys.empty() && !prefix.empty()) {
        out.push_back(prefix);
        return;
    }
    for (const auto& key : keys) {
        collectKeys(config, prefix.empty() ? key : prefix + "." + key, out);
    }
}

// Poco's application layer adds its own keys (application.*, system.*, logging.*) to the same
// configuration view; they are not ours to warn about.
bool isForeignKey(const std::string& key) {
    static const std::set<std::string> foreignRoots = {"application", "system", "logging",
                                                       "config"};
    return foreignRoots.count(key.substr(0, key.find('.'))) > 0;
}

std::vector<std::string> splitNames(const std::string& text) {
    std::vector<std::string> names;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = std::min(text.find(',', start), text.size());
        std::string name = text.substr(start, comma - start);
        name.erase(0, name.find_first_not_of(" \t"));
        name.erase(name.find_last_not_of(" \t") + 1);
        if (!name.empty()) {
            names.push_back(std::move(name));
        }
        start = comma + 1;
    }
    return names;
}

bool isInstanceName(const std::string& name) {
    return !name.empty() && name.size() <= 63 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
}

/// store.engine, store.url and store.instance, checked together.
Result<AgentSettings::StoreSettings> readStoreSettings(const Reader& reader,
                                                       std::vector<std::string>& warnings) {
    AgentSettings::StoreSettings store;
    auto engine = reader.raw("store.engine");
    if (!engine) {
        return engine.error();
    }
    store.engine = *engine;
    if (store.engine != "sqlite" && store.engine != "postgresql") {
        return failure("store.engine", "must be sqlite or postgresql, not '" + store.engine + "'");
    }
    auto url = reader.raw("store.url");
    if (!url) {
        return url.error();
    }
    store.url = *url;
    auto instance = reader.raw("store.instance");
    if (!instance) {
        return instance.error();
    }
    store.instance = *instance;
    if (store.engine == "sqlite") {
        if (!store.url.empty()) {
            warnings.push_back("store.url is ignored: store.engine is sqlite");
        }
        return store;
    }
    if (store.url.empty()) {
        return failure("store.url", "is required when store.engine is postgresql (a libpq URI "
                                    "such as postgresql://gp-agent@db.example:5432/gpagent)");
    }
    const bool uri =
        store.url.rfind("postgresql://", 0) == 0 || store.url.rfind("postgres://", 0) == 0;
    if (!uri && store.url.find('=') == std::string::npos) {
        return failure("store.url", "must be a postgresql:// URI or a libpq key=value string, "
                                    "not '" +
                                        maskStoreUrl(store.url) + "'");
    }
    if (store.instance.empty()) {
        store.instance = Poco::Environment::nodeName();
    }
    if (!isInstanceName(store.instance)) {
        return failure("store.instance", "must be 1 to 63 letters, digits, '.', '_' or '-', not '" +
                                             store.instance + "'");
    }
    return store;
}

/// The default practice (agent.*, under tls.*'s certificate) and those of agent.practicesFile,
/// checked as the PracticeDirectory will check them.
Result<std::vector<Practice>> loadPractices(const AgentSettings& s, const std::string& file) {
    std::vector<Practice> practices = practicesOf(s);
    if (!file.empty()) {
        std::string text;
        try {
            text = readWholeFile(file);
        } catch (const std::exception& e) {
            return failure("agent.practicesFile", "cannot read " + file + ": " + e.what());
        }
        auto listed = parsePracticesFile(text);
        if (!listed) {
            return failure("agent.practicesFile", file + " " + listed.error().describe());
        }
        for (Practice& practice : listed.value()) {
            practices.push_back(std::move(practice));
        }
    }
    try {
        PracticeDirectory check(practices);
    } catch (const std::invalid_argument& e) {
        return failure(file.empty() ? "agent.odsCode" : "agent.practicesFile",
                       file.empty() ? std::string(e.what()) : file + ": " + e.what());
    }
    return practices;
}

} // namespace

std::string maskStoreUrl(std::string_view url) {
    std::string masked(url);
    // A URI's user:password@ ...
    if (const auto scheme = masked.find("://"); scheme != std::string::npos) {
        const auto authorityStart = scheme + 3;
        const auto authorityEnd =
            std::min(masked.find_first_of("/?", authorityStart), masked.size());
        const auto at = masked.rfind('@', authorityEnd);
        if (at != std::string::npos && at >= authorityStart) {
            const auto colon = masked.find(':', authorityStart);
            if (colon != std::string::npos && colon < at) {
                masked.replace(colon + 1, at - colon - 1, "***");
            }
        }
    }
    // ... and password=... as a URI parameter or a key=value pair (quoted or not).
    std::string lower = masked;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (auto found = lower.find("password"); found != std::string::npos;
         found = lower.find("password", found + 1)) {
        auto valueStart = found + 8;
        while (valueStart < lower.size() && lower[valueStart] == ' ') {
            ++valueStart;
        }
        if (valueStart >= lower.size() || lower[valueStart] != '=') {
            continue;
        }
        ++valueStart;
        while (valueStart < lower.size() && lower[valueStart] == ' ') {
            ++valueStart;
        }
        std::size_t valueEnd = valueStart;
        if (valueStart < lower.size() && lower[valueStart] == '\'') {
            valueEnd = valueStart + 1;
            while (valueEnd < lower.size() && lower[valueEnd] != '\'') {
                valueEnd += lower[valueEnd] == '\\' ? 2 : 1;
            }
            valueEnd = std::min(valueEnd + 1, lower.size());
        } else {
            valueEnd = std::min(lower.find_first_of(" &", valueStart), lower.size());
        }
        masked.replace(valueStart, valueEnd - valueStart, "***");
        lower.replace(valueStart, valueEnd - valueStart, "***");
    }
    return masked;
}

StoreLocation storeLocationOf(const AgentSettings& settings) {
    StoreLocation location;
    location.engine = settings.store.engine;
    location.sqliteFile = settings.stateDir / "gp-agent.db";
    location.postgresUrl = settings.store.url;
    location.instance = settings.store.instance;
    return location;
}

std::filesystem::path filesDirOf(const AgentSettings& settings) {
    return settings.filesDir.empty() ? settings.stateDir : settings.filesDir;
}

std::vector<Practice> practicesOf(const AgentSettings& settings) {
    if (!settings.practices.empty()) {
        return settings.practices;
    }
    // Settings made by hand (tests, tools) name one practice through agent.* alone.
    return {Practice{settings.odsCode, settings.partyKey, settings.asid, "", ""}};
}

const std::vector<KeyDeclaration>& declaredKeys() {
    return kKeys;
}

Result<Milliseconds> parseIsoDuration(std::string_view text) {
    const std::string original(text);
    auto bad = [&]() {
        return failure("", "must be an ISO 8601 duration such as PT5M or PT0.5S, not '" + original +
                               "'");
    };
    if (text.size() < 3 || text[0] != 'P') {
        return bad();
    }
    text.remove_prefix(1);
    bool inTime = false;
    bool sawComponent = false;
    double totalMillis = 0;
    while (!text.empty()) {
        if (text[0] == 'T') {
            if (inTime) {
                return bad();
            }
            inTime = true;
            text.remove_prefix(1);
            continue;
        }
        std::size_t length = 0;
        while (length < text.size() &&
               (std::isdigit(static_cast<unsigned char>(text[length])) || text[length] == '.')) {
            ++length;
        }
        if (length == 0 || length == text.size()) {
            return bad();
        }
        double number = 0;
        if (!Poco::NumberParser::tryParseFloat(std::string(text.substr(0, length)), number)) {
            return bad();
        }
        const char unit = text[length];
        double unitMillis = 0;
        if (!inTime && unit == 'D') {
            unitMillis = 86'400'000;
        } else if (inTime && unit == 'H') {
            unitMillis = 3'600'000;
        } else if (inTime && unit == 'M') {
            unitMillis = 60'000;
        } else if (inTime && unit == 'S') {
            unitMillis = 1'000;
        } else {
            return bad();
        }
        totalMillis += number * unitMillis;
        sawComponent = true;
        text.remove_prefix(length + 1);
    }
    if (!sawComponent) {
        return bad();
    }
    return Milliseconds(static_cast<long long>(totalMillis + 0.5));
}

Result<LoadedSettings> loadSettings(const Poco::Util::AbstractConfiguration& config) {
    LoadedSettings loaded;
    std::vector<std::string> present;
    collectKeys(config, "", present);
    for (const auto& key : present) {
        if (isForeignKey(key)) {
            continue;
        }
        auto known = std::any_of(kKeys.begin(), kKeys.end(),
                                 [&](const KeyDeclaration& d) { return d.key == key; });
        if (!known) {
            loaded.warnings.push_back("unknown configuration key '" + key + "' ignored");
        }
    }

    Reader reader(config);
    AgentSettings& s = loaded.settings;

#define GP_TAKE(target, expression)                                                                \
    do {                                                                                           \
        auto taken = (expression);                                                                 \
        if (!taken) {                                                                              \
            return taken.error();                                                                  \
        }                                                                                          \
        target = std::move(*taken);                                                                \
    } while (false)

    std::string text;
    GP_TAKE(text, reader.raw("agent.stateDir"));
    if (text.empty()) {
        return failure("agent.stateDir", "must not be empty");
    }
    s.stateDir = text;
    GP_TAKE(s.store, readStoreSettings(reader, loaded.warnings));
    GP_TAKE(text, reader.raw("store.filesDir"));
    s.filesDir = text.empty() ? s.stateDir : std::filesystem::path(text);
    GP_TAKE(s.odsCode, reader.raw("agent.odsCode"));
    GP_TAKE(s.partyKey, reader.raw("agent.partyKey"));
    GP_TAKE(s.asid, reader.raw("agent.asid"));
    GP_TAKE(s.apiBind, reader.raw("api.bind"));
    std::int64_t number = 0;
    GP_TAKE(number, reader.integer("api.port", 0, 65535));
    s.apiPort = static_cast<int>(number);
    GP_TAKE(text, reader.raw("api.tokenFile"));
    s.apiTokenFile = text.empty() ? s.stateDir / "api-token" : std::filesystem::path(text);
    GP_TAKE(text, reader.raw("api.tokensFile"));
    s.apiTokensFile = text.empty() ? s.stateDir / "api-tokens" : std::filesystem::path(text);
    GP_TAKE(number, reader.integer("api.maxBodyBytes", 1024, 64 * 1024 * 1024));
    s.apiMaxBodyBytes = static_cast<std::size_t>(number);
    GP_TAKE(number, reader.integer("api.connections", 1, 256));
    s.apiConnections = static_cast<int>(number);
    s.apiTls.keyPrefix = "api";
    GP_TAKE(text, reader.raw("api.certFile"));
    s.apiTls.certFile = text;
    GP_TAKE(text, reader.raw("api.keyFile"));
    s.apiTls.keyFile = text;
    GP_TAKE(s.inboundBind, reader.raw("inbound.bind"));
    GP_TAKE(number, reader.integer("inbound.port", 0, 65535));
    s.inboundPort = static_cast<int>(number);
    GP_TAKE(number, reader.integer("inbound.maxBodyBytes", 1024, 1LL << 32));
    s.inboundMaxBodyBytes = static_cast<std::size_t>(number);
    s.inboundTls.keyPrefix = "inbound";
    GP_TAKE(text, reader.raw("inbound.certFile"));
    s.inboundTls.certFile = text;
    GP_TAKE(text, reader.raw("inbound.keyFile"));
    s.inboundTls.keyFile = text;
    GP_TAKE(text, reader.raw("inbound.clientCaFile"));
    s.inboundTls.clientCaFile = text;
    GP_TAKE(text, reader.raw("inbound.clientNames"));
    s.inboundTls.clientNames = splitNames(text);
    GP_TAKE(s.mhsEnabled, reader.boolean("mhs.enabled"));
    GP_TAKE(s.mhsBind, reader.raw("mhs.bind"));
    GP_TAKE(number, reader.integer("mhs.port", 0, 65535));
    s.mhsPort = static_cast<int>(number);
    GP_TAKE(number, reader.integer("mhs.connections", 1, 256));
    s.mhsConnections = static_cast<int>(number);
    GP_TAKE(s.sdsUrl, reader.url("sds.url"));
    GP_TAKE(s.sdsCacheTtl, reader.duration("sds.cacheTtl"));
    GP_TAKE(text, reader.raw("gp2gp.importDir"));
    s.gp2gp.importDir = text.empty() ? s.stateDir / "gp2gp-import" : std::filesystem::path(text);
    GP_TAKE(text, reader.raw("gp2gp.recordSource"));
    s.gp2gp.recordSource =
        text.empty() ? s.stateDir / "gp2gp-records" : std::filesystem::path(text);
    GP_TAKE(number, reader.integer("gp2gp.largeThreshold", 1024, 1LL << 32));
    s.gp2gp.largeThreshold = static_cast<std::uint64_t>(number);
    GP_TAKE(s.gp2gp.autoAck, reader.boolean("gp2gp.autoAck"));
    GP_TAKE(s.gp2gp.finalAckTimeout, reader.duration("gp2gp.finalAckTimeout"));
    GP_TAKE(text, reader.raw("gp2gp.receiveTimeout"));
    if (!text.empty()) {
        GP_TAKE(s.gp2gp.receiveTimeout, reader.duration("gp2gp.receiveTimeout"));
    }
    GP_TAKE(number, reader.integer("gp2gp.maxAttachmentBytes", 1024, 1LL << 40));
    s.gp2gp.maxAttachmentBytes = static_cast<std::uint64_t>(number);
    GP_TAKE(number, reader.integer("gp2gp.maxRecordBytes", 1024, 1LL << 40));
    s.gp2gp.maxRecordBytes = static_cast<std::uint64_t>(number);
    GP_TAKE(s.spineUrl, reader.url("spine.url"));
    GP_TAKE(s.spinePartyKey, reader.raw("spine.partyKey"));
    GP_TAKE(s.spineCpaId, reader.raw("spine.cpaId"));
    GP_TAKE(s.spineAsid, reader.raw("spine.asid"));
    GP_TAKE(s.transport.tls.verifyPeer, reader.boolean("tls.verifyPeer"));
    GP_TAKE(s.transport.tls.caFile, reader.raw("tls.caFile"));
    GP_TAKE(s.transport.tls.certFile, reader.raw("tls.certFile"));
    GP_TAKE(s.transport.tls.keyFile, reader.raw("tls.keyFile"));
    GP_TAKE(s.transport.tls.keyPassword, reader.raw("tls.keyPassword"));
    if (s.inboundTls.clientCaFile.empty()) {
        s.inboundTls.clientCaFile = s.transport.tls.caFile; // the Spine's CA vouches both ways
    }
    if (s.transport.tls.certFile.empty() != s.transport.tls.keyFile.empty()) {
        return failure(s.transport.tls.certFile.empty() ? "tls.certFile" : "tls.keyFile",
                       "tls.certFile and tls.keyFile must be set together");
    }
    GP_TAKE(s.transport.connectTimeout, reader.duration("http.connectTimeout"));
    GP_TAKE(s.transport.totalTimeout, reader.duration("http.timeout"));
    GP_TAKE(number, reader.integer("dispatch.threads", 1, 256));
    s.dispatchThreads = static_cast<int>(number);
    GP_TAKE(number, reader.integer("dispatch.connectionsPerEndpoint", 1, 64));
    s.dispatchConnectionsPerEndpoint = static_cast<int>(number);
    GP_TAKE(s.dispatchLease, reader.duration("dispatch.lease"));
    if (s.dispatchLease <= s.transport.totalTimeout) {
        return failure("dispatch.lease", "must be longer than http.timeout");
    }
    GP_TAKE(s.retryBaseDelay, reader.duration("retry.baseDelay"));
    GP_TAKE(s.retryMaxDelay, reader.duration("retry.maxDelay"));
    if (s.retryMaxDelay < s.retryBaseDelay) {
        return failure("retry.maxDelay", "must not be shorter than retry.baseDelay");
    }
    GP_TAKE(s.epsPersistDuration, reader.duration("eps.persistDuration"));
    GP_TAKE(number, reader.integer("eps.maxAttempts", 0, 1000));
    s.epsMaxAttempts = static_cast<int>(number);
    GP_TAKE(s.ers.url, reader.url("ers.url"));
    GP_TAKE(s.ers.businessFunction, reader.raw("ers.businessFunction"));
    if (s.ers.businessFunction != "REFERRING_CLINICIAN" &&
        s.ers.businessFunction != "REFERRING_CLINICIAN_ADMIN" &&
        s.ers.businessFunction != "REFERRING_ADMIN") {
        return failure("ers.businessFunction",
                       "must be REFERRING_CLINICIAN, REFERRING_CLINICIAN_ADMIN or "
                       "REFERRING_ADMIN, not '" +
                           s.ers.businessFunction + "'");
    }
    GP_TAKE(text, reader.raw("ers.tokenFile"));
    s.ers.tokenFile = text;
    GP_TAKE(s.ers.persistDuration, reader.duration("ers.persistDuration"));
    GP_TAKE(s.logLevel, reader.raw("log.level"));
    static const std::set<std::string> levels = {"fatal",  "critical",    "error", "warning",
                                                 "notice", "information", "debug", "trace"};
    if (levels.count(s.logLevel) == 0) {
        return failure("log.level", "must be one of error, warning, notice, information, debug, "
                                    "trace, not '" +
                                        s.logLevel + "'");
    }
    GP_TAKE(s.allowPlainHttp, reader.boolean("test.allowPlainHttp"));
    GP_TAKE(text, reader.raw("agent.practicesFile"));
    GP_TAKE(s.practices, loadPractices(s, text));
#undef GP_TAKE
    if (Status secure = checkTransportSecurity(s, loaded.warnings); !secure) {
        return secure.error();
    }
    return loaded;
}

std::string describeKeysAsMarkdown() {
    std::string out = "| key | type | default | meaning |\n|---|---|---|---|\n";
    for (const auto& key : kKeys) {
        out += "| `" + key.key + "` | " + typeName(key.type) + " | " +
               (key.required               ? "required"
                : key.defaultValue.empty() ? "-"
                                           : "`" + key.defaultValue + "`") +
               " | " + key.description + " |\n";
    }
    return out;
}

} // namespace gp::agent
