#include <gp/mock/Gp2gpInteractions.hpp>
#include <gp/mock/MockConfig.hpp>

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace gp::mock {

namespace {

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t");
    return std::string(text.substr(first, last - first + 1));
}

std::vector<std::string> splitList(std::string_view text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        const auto end = comma == std::string_view::npos ? text.size() : comma;
        if (auto item = trim(text.substr(start, end - start)); !item.empty()) {
            items.push_back(std::move(item));
        }
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    return items;
}

// A party key is an ODS code, a hyphen and a number, e.g. A91424-9199121 or YES-0000806.
bool isPartyKey(std::string_view key) {
    const auto dash = key.find('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == key.size()) {
        return false;
    }
    return std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    });
}

std::string value(const Poco::Util::AbstractConfiguration& config, const ConfigKey& key) {
    return trim(config.getString(std::string(key.name), std::string(key.defaultValue)));
}

const ConfigKey& declared(std::string_view name) {
    for (const auto& key : configKeys()) {
        if (key.name == name) {
            return key;
        }
    }
    throw std::logic_error("undeclared configuration key " + std::string(name));
}

constexpr std::string_view kPersistPrefix = "mock.gp2gp.persistDuration.";

// Every key under `prefix` that holds a value, however deep: "mock.gp2gp.retries" as well as
// "mock.port", so that a misspelt nested key is warned about too.
void collectKeys(const Poco::Util::AbstractConfiguration& config, const std::string& prefix,
                 std::vector<std::string>& found) {
    Poco::Util::AbstractConfiguration::Keys children;
    config.keys(prefix, children);
    for (const auto& child : children) {
        const std::string full = prefix + "." + child;
        if (config.has(full)) {
            found.push_back(full);
        }
        collectKeys(config, full, found);
    }
}

bool isDeclared(std::string_view name) {
    if (name.rfind(kPersistPrefix, 0) == 0) {
        return findGp2gpInteraction(name.substr(kPersistPrefix.size())) != nullptr;
    }
    return std::any_of(configKeys().begin(), configKeys().end(),
                       [&](const ConfigKey& key) { return key.name == name; });
}

Result<IsoDuration> durationValue(const Poco::Util::AbstractConfiguration& config,
                                  std::string_view name, std::string_view fallback) {
    const std::string key(name);
    return parseIsoDuration(trim(config.getString(key, std::string(fallback))), key);
}

} // namespace

std::map<std::string, IsoDuration, std::less<>> MockConfig::defaultPersistDurations() {
    std::map<std::string, IsoDuration, std::less<>> durations;
    for (const auto& interaction : gp2gpInteractions()) {
        // The table's texts are ours and valid; value() throwing here would be a bug.
        durations.emplace(std::string(interaction.id),
                          parseIsoDuration(interaction.defaultPersistDuration, "table").value());
    }
    return durations;
}

std::chrono::milliseconds MockConfig::persistDuration(std::string_view interaction) const {
    const auto found = gp2gpPersistDurations.find(interaction);
    return found == gp2gpPersistDurations.end() ? std::chrono::milliseconds(0)
                                                : found->second.value;
}

const std::vector<ConfigKey>& configKeys() {
    static const std::vector<ConfigKey> keys = {
        {"mock.bind", KeyType::String, "127.0.0.1", "address to listen on"},
        {"mock.port", KeyType::Port, "7680", "HTTP port; 0 lets the system pick a free one"},
        {"mock.stateDir", KeyType::Path, "",
         "required: directory for spine-mock.db and ports.json (or --state-dir)"},
        {"mock.partyKey", KeyType::String, "YES-0000806",
         "Spine's own party key; eb:To/eb:PartyId must equal it"},
        {"mock.cpaId", KeyType::String, "S20001A000100", "the only eb:CPAId accepted"},
        {"mock.knownSenders", KeyType::PartyList, "",
         "comma-separated party keys allowed in eb:From; empty accepts any sender"},
        {"mock.faults", KeyType::Path, "",
         "JSON file with an array of fault rules loaded at start"},
        {"mock.logLevel", KeyType::LogLevel, "information",
         "fatal, critical, error, warning, notice, information, debug or trace"},
        {"mock.asid", KeyType::String, "990101234567", "Spine's ASID, published in the EPS route"},
        {"mock.registry", KeyType::Path, "",
         "JSON file with an array of practices registered at start (as POST /_admin/practices)"},
        {"mock.gp2gp.retries", KeyType::Count, "2", "nhsMHSRetries published for GP2GP routes"},
        {"mock.gp2gp.retryInterval", KeyType::Duration, "PT1M",
         "nhsMHSRetryInterval published for GP2GP routes"},
        {"mock.gp2gp.persistDuration.<interaction>", KeyType::Duration, "",
         "nhsMHSPersistDuration of one GP2GP interaction (defaults: RCMR PT4H10M, COPC PT7H, "
         "MCCI PT4M); also how long the forwarder keeps trying"},
        {"mock.forwardRetryDelay", KeyType::Duration, "PT1S",
         "first wait before the forwarder retries a delivery to a practice; doubles each time"},
        {"mock.forwardMaxDelay", KeyType::Duration, "PT30S", "longest wait between deliveries"},
        {"mock.forwardTimeout", KeyType::Duration, "PT30S",
         "how long one delivery to a practice may take before it counts as failed"},
        {"mock.forwardInOrder", KeyType::Boolean, "true",
         "deliver each conversation's messages in the order accepted; false lets a message "
         "held back by a retry be overtaken"},
        {"mock.ers.rateLimit", KeyType::Count, "10",
         "e-RS requests per second before 429 Too Many Requests; 0 turns the limit off"},
        {"mock.tls.certFile", KeyType::Path, "",
         "certificate (PEM, then its issuers) of the TLS listener, also presented as the "
         "forwarder's client certificate; empty: plain HTTP (needs mock.allowPlainHttp)"},
        {"mock.tls.keyFile", KeyType::Path, "", "private key of mock.tls.certFile (unencrypted)"},
        {"mock.tls.caFile", KeyType::Path, "",
         "CA certificates (PEM) that clients' certificates and practices' server certificates "
         "must chain to; required with mock.tls.certFile"},
        {"mock.tls.clientNames", KeyType::String, "",
         "comma-separated host names; a client certificate must name one of them (DNS "
         "subjectAltName, or CN); empty: any certificate from mock.tls.caFile"},
        {"mock.allowPlainHttp", KeyType::Boolean, "false",
         "test set-ups only: listen on plain HTTP when mock.tls.certFile is empty (logged as a "
         "WARNING)"},
        {"mock.deferredReplies", KeyType::String, "",
         "comma-separated EPS interactions (PORX_IN020101SM31, PORX_IN030101SM32) answered with "
         "202 and a Content-Location to poll instead of the reply itself"},
    };
    return keys;
}

Result<MockConfig> MockConfig::fromConfiguration(const Poco::Util::AbstractConfiguration& config,
                                                 std::vector<std::string>& warnings) {
    std::vector<std::string> present;
    collectKeys(config, "mock", present);
    for (const auto& full : present) {
        if (!isDeclared(full)) {
            warnings.push_back("unknown configuration key " + full + " is ignored");
        }
    }

    MockConfig result;
    result.bind = value(config, declared("mock.bind"));
    if (result.bind.empty()) {
        return failure("mock.bind", "must not be empty");
    }

    const std::string port = value(config, declared("mock.port"));
    unsigned number = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (error != std::errc() || end != port.data() + port.size() || number > 65535) {
        return failure("mock.port", "must be a whole number from 0 to 65535, not '" + port + "'");
    }
    result.port = static_cast<std::uint16_t>(number);

    result.stateDir = value(config, declared("mock.stateDir"));
    if (result.stateDir.empty()) {
        return failure("mock.stateDir", "is required (or pass --state-dir)");
    }

    result.partyKey = value(config, declared("mock.partyKey"));
    if (!isPartyKey(result.partyKey)) {
        return failure("mock.partyKey",
                       "must be a party key such as YES-0000806, not '" + result.partyKey + "'");
    }
    result.cpaId = value(config, declared("mock.cpaId"));
    if (result.cpaId.empty()) {
        return failure("mock.cpaId", "must not be empty");
    }

    result.knownSenders = splitList(value(config, declared("mock.knownSenders")));
    for (const auto& sender : result.knownSenders) {
        if (!isPartyKey(sender)) {
            return failure("mock.knownSenders", "'" + sender + "' is not a party key");
        }
    }

    result.faultsFile = value(config, declared("mock.faults"));
    result.deferredReplies = splitList(value(config, declared("mock.deferredReplies")));
    for (const auto& interaction : result.deferredReplies) {
        if (interaction != "PORX_IN020101SM31" && interaction != "PORX_IN030101SM32") {
            return failure("mock.deferredReplies",
                           "'" + interaction + "' is not PORX_IN020101SM31 or PORX_IN030101SM32");
        }
    }

    result.logLevel = value(config, declared("mock.logLevel"));
    try {
        Poco::Logger::parseLevel(result.logLevel);
    } catch (const Poco::Exception&) {
        return failure("mock.logLevel", "unknown level '" + result.logLevel + "'");
    }

    result.asid = value(config, declared("mock.asid"));
    if (result.asid.empty() || !std::all_of(result.asid.begin(), result.asid.end(),
                                            [](char c) { return c >= '0' && c <= '9'; })) {
        return failure("mock.asid", "must be digits, not '" + result.asid + "'");
    }
    result.registryFile = value(config, declared("mock.registry"));

    const std::string retries = value(config, declared("mock.gp2gp.retries"));
    int count = 0;
    const auto [retriesEnd, retriesError] =
        std::from_chars(retries.data(), retries.data() + retries.size(), count);
    if (retriesError != std::errc() || retriesEnd != retries.data() + retries.size() || count < 0 ||
        count > 100) {
        return failure("mock.gp2gp.retries",
                       "must be a whole number from 0 to 100, not '" + retries + "'");
    }
    result.gp2gpRetries = count;

    struct DurationKey {
        std::string_view name;
        IsoDuration* target;
    };
    for (const auto& [name, target] :
         {DurationKey{"mock.gp2gp.retryInterval", &result.gp2gpRetryInterval},
          DurationKey{"mock.forwardRetryDelay", &result.forwardRetryDelay},
          DurationKey{"mock.forwardMaxDelay", &result.forwardMaxDelay},
          DurationKey{"mock.forwardTimeout", &result.forwardTimeout}}) {
        auto duration = durationValue(config, name, declared(name).defaultValue);
        if (!duration) {
            return duration.error();
        }
        *target = std::move(*duration);
    }
    if (result.forwardRetryDelay.value.count() <= 0 || result.forwardTimeout.value.count() <= 0) {
        return failure(result.forwardTimeout.value.count() <= 0 ? "mock.forwardTimeout"
                                                                : "mock.forwardRetryDelay",
                       "must be longer than zero");
    }
    if (result.forwardMaxDelay.value < result.forwardRetryDelay.value) {
        return failure("mock.forwardMaxDelay", "must not be shorter than mock.forwardRetryDelay");
    }
    const std::string inOrder = value(config, declared("mock.forwardInOrder"));
    if (inOrder != "true" && inOrder != "false") {
        return failure("mock.forwardInOrder", "must be true or false, not '" + inOrder + "'");
    }
    result.forwardInOrder = inOrder == "true";
    const std::string rateLimit = value(config, declared("mock.ers.rateLimit"));
    int perSecond = 0;
    const auto [rateEnd, rateError] =
        std::from_chars(rateLimit.data(), rateLimit.data() + rateLimit.size(), perSecond);
    if (rateError != std::errc() || rateEnd != rateLimit.data() + rateLimit.size() ||
        perSecond < 0 || perSecond > 100000) {
        return failure("mock.ers.rateLimit",
                       "must be a whole number from 0 to 100000, not '" + rateLimit + "'");
    }
    result.ersRateLimit = perSecond;
    result.tls.certFile = value(config, declared("mock.tls.certFile"));
    result.tls.keyFile = value(config, declared("mock.tls.keyFile"));
    result.tls.caFile = value(config, declared("mock.tls.caFile"));
    result.tls.clientNames = splitList(value(config, declared("mock.tls.clientNames")));
    const std::string allowPlain = value(config, declared("mock.allowPlainHttp"));
    if (allowPlain != "true" && allowPlain != "false") {
        return failure("mock.allowPlainHttp", "must be true or false, not '" + allowPlain + "'");
    }
    result.allowPlainHttp = allowPlain == "true";
    for (auto& [interaction, duration] : result.gp2gpPersistDurations) {
        const std::string key = std::string(kPersistPrefix) + interaction;
        auto configured = durationValue(config, key, duration.text);
        if (!configured) {
            return configured.error();
        }
        duration = std::move(*configured);
    }
    return result;
}

} // namespace gp::mock
