#include <gp/mock/MockConfig.hpp>

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <doctest/doctest.h>

using namespace gp::mock;

namespace {

Poco::AutoPtr<Poco::Util::MapConfiguration>
settings(std::initializer_list<std::pair<const char*, const char*>> values) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
    for (const auto& [key, value] : values) {
        config->setString(key, value);
    }
    return config;
}

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("configuration defaults apply when only the state directory is given") {
        std::vector<std::string> warnings;
        const auto config =
            MockConfig::fromConfiguration(*settings({{"mock.stateDir", "/tmp/x"}}), warnings);
        REQUIRE(config.ok());
        CHECK(config->bind == "127.0.0.1");
        CHECK(config->port == 7680);
        CHECK(config->stateDir == "/tmp/x");
        CHECK(config->partyKey == "YES-0000806");
        CHECK(config->cpaId == "S20001A000100");
        CHECK(config->knownSenders.empty());
        CHECK(config->faultsFile.empty());
        CHECK(config->logLevel == "information");
        CHECK(warnings.empty());
    }

    TEST_CASE("every declared key is read and unknown mock keys are warned about") {
        std::vector<std::string> warnings;
        const auto config = MockConfig::fromConfiguration(
            *settings({{"mock.stateDir", "/s"},
                       {"mock.port", "0"},
                       {"mock.bind", "0.0.0.0"},
                       {"mock.knownSenders", "A91424-9199121, B82001-1234567"},
                       {"mock.faults", "/f.json"},
                       {"mock.logLevel", "debug"},
                       {"mock.forwardInOrder", "false"},
                       {"mock.prot", "7000"},
                       {"other.key", "ignored silently"}}),
            warnings);
        REQUIRE(config.ok());
        CHECK(config->port == 0);
        CHECK(config->bind == "0.0.0.0");
        CHECK(config->knownSenders == std::vector<std::string>{"A91424-9199121", "B82001-1234567"});
        CHECK(config->faultsFile == "/f.json");
        CHECK_FALSE(config->forwardInOrder);
        CHECK(warnings ==
              std::vector<std::string>{"unknown configuration key mock.prot is ignored"});
        // 17, mock.ers.rateLimit, mock.deferredReplies, mock.tls.* (4), mock.allowPlainHttp
        CHECK(configKeys().size() == 24);
    }

    TEST_CASE("GP2GP and forwarder keys are read, with per-interaction persist durations") {
        std::vector<std::string> warnings;
        const auto defaults =
            MockConfig::fromConfiguration(*settings({{"mock.stateDir", "/s"}}), warnings);
        REQUIRE(defaults.ok());
        CHECK(defaults->gp2gpRetries == 2);
        CHECK(defaults->gp2gpRetryInterval.text == "PT1M");
        CHECK(defaults->persistDuration("RCMR_IN010000UK05") == std::chrono::minutes(250));
        CHECK(defaults->persistDuration("RCMR_IN030000UK06") == std::chrono::minutes(250));
        CHECK(defaults->persistDuration("COPC_IN000001UK01") == std::chrono::hours(7));
        CHECK(defaults->persistDuration("MCCI_IN010000UK13") == std::chrono::minutes(4));
        CHECK(defaults->persistDuration("PORX_IN020101SM31") == std::chrono::milliseconds(0));
        CHECK(defaults->forwardRetryDelay.value == std::chrono::seconds(1));
        CHECK(defaults->forwardMaxDelay.value == std::chrono::seconds(30));
        CHECK(defaults->asid == "990101234567");

        const auto config = MockConfig::fromConfiguration(
            *settings({{"mock.stateDir", "/s"},
                       {"mock.registry", "/r.json"},
                       {"mock.gp2gp.retries", "0"},
                       {"mock.gp2gp.retryInterval", "PT0.5S"},
                       {"mock.gp2gp.persistDuration.COPC_IN000001UK01", "PT20S"},
                       {"mock.gp2gp.persistDuration.XXXX_IN000000UK00", "PT1S"},
                       {"mock.gp2gp.retrys", "3"},
                       {"mock.forwardRetryDelay", "PT0.1S"},
                       {"mock.forwardMaxDelay", "PT2S"},
                       {"mock.forwardTimeout", "PT5S"}}),
            warnings);
        REQUIRE(config.ok());
        CHECK(config->registryFile == "/r.json");
        CHECK(config->gp2gpRetries == 0);
        CHECK(config->gp2gpRetryInterval.value == std::chrono::milliseconds(500));
        CHECK(config->gp2gpPersistDurations.at("COPC_IN000001UK01").text == "PT20S");
        CHECK(config->persistDuration("COPC_IN000001UK01") == std::chrono::seconds(20));
        CHECK(config->persistDuration("MCCI_IN010000UK13") == std::chrono::minutes(4));
        CHECK(config->forwardRetryDelay.value == std::chrono::milliseconds(100));
        CHECK(config->forwardTimeout.value == std::chrono::seconds(5));
        CHECK(
            warnings ==
            std::vector<std::string>{
                "unknown configuration key mock.gp2gp.persistDuration.XXXX_IN000000UK00 is ignored",
                "unknown configuration key mock.gp2gp.retrys is ignored"});

        const auto badDuration = MockConfig::fromConfiguration(
            *settings({{"mock.stateDir", "/s"},
                       {"mock.gp2gp.persistDuration.MCCI_IN010000UK13", "4 minutes"}}),
            warnings);
        REQUIRE_FALSE(badDuration.ok());
        CHECK(badDuration.error().describe() ==
              "mock.gp2gp.persistDuration.MCCI_IN010000UK13: must be an ISO 8601 duration such as "
              "PT1M or PT4H10M, not '4 minutes'");
        const auto badRetries = MockConfig::fromConfiguration(
            *settings({{"mock.stateDir", "/s"}, {"mock.gp2gp.retries", "-1"}}), warnings);
        REQUIRE_FALSE(badRetries.ok());
        CHECK(badRetries.error().where == "mock.gp2gp.retries");
        const auto inverted =
            MockConfig::fromConfiguration(*settings({{"mock.stateDir", "/s"},
                                                     {"mock.forwardRetryDelay", "PT10S"},
                                                     {"mock.forwardMaxDelay", "PT5S"}}),
                                          warnings);
        REQUIRE_FALSE(inverted.ok());
        CHECK(inverted.error().describe() ==
              "mock.forwardMaxDelay: must not be shorter than mock.forwardRetryDelay");
    }

    TEST_CASE("invalid values name their key") {
        std::vector<std::string> warnings;
        SUBCASE("port") {
            const auto config = MockConfig::fromConfiguration(
                *settings({{"mock.stateDir", "/s"}, {"mock.port", "70000"}}), warnings);
            REQUIRE_FALSE(config.ok());
            CHECK(config.error().describe() ==
                  "mock.port: must be a whole number from 0 to 65535, not '70000'");
        }
        SUBCASE("missing state directory") {
            const auto config = MockConfig::fromConfiguration(*settings({}), warnings);
            REQUIRE_FALSE(config.ok());
            CHECK(config.error().where == "mock.stateDir");
        }
        SUBCASE("party key") {
            const auto config = MockConfig::fromConfiguration(
                *settings({{"mock.stateDir", "/s"}, {"mock.partyKey", "spine"}}), warnings);
            REQUIRE_FALSE(config.ok());
            CHECK(config.error().where == "mock.partyKey");
        }
        SUBCASE("known senders") {
            const auto config = MockConfig::fromConfiguration(
                *settings({{"mock.stateDir", "/s"}, {"mock.knownSenders", "A91424-9199121,bad"}}),
                warnings);
            REQUIRE_FALSE(config.ok());
            CHECK(config.error().describe() == "mock.knownSenders: 'bad' is not a party key");
        }
        SUBCASE("log level") {
            const auto config = MockConfig::fromConfiguration(
                *settings({{"mock.stateDir", "/s"}, {"mock.logLevel", "loud"}}), warnings);
            REQUIRE_FALSE(config.ok());
            CHECK(config.error().where == "mock.logLevel");
        }
    }

} // TEST_SUITE
