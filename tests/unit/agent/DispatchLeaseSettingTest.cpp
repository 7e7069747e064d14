// dispatch.lease: how long a claimed message stays with its sender before another attempt may
// take it over. Shorter than a whole attempt would let two attempts of one message overlap.

#include <gp/agent/config/Settings.hpp>

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <doctest/doctest.h>

using namespace gp::agent;

namespace {

gp::Result<LoadedSettings> loadWith(const std::string& lease, const std::string& timeout) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> config = new Poco::Util::MapConfiguration;
    config->setString("agent.odsCode", "A83008");
    config->setString("agent.partyKey", "A83008-9199121");
    config->setString("agent.asid", "200000001234");
    config->setString("test.allowPlainHttp", "true");
    config->setString("http.timeout", timeout);
    if (!lease.empty()) {
        config->setString("dispatch.lease", lease);
    }
    return loadSettings(*config);
}

} // namespace

TEST_CASE("dispatch.lease defaults to two minutes and must outlast http.timeout") {
    const auto defaults = loadWith("", "PT30S");
    REQUIRE_MESSAGE(defaults.ok(), defaults.error().describe());
    CHECK(defaults->settings.dispatchLease == Milliseconds(120000));

    const auto shortened = loadWith("PT6S", "PT5S");
    REQUIRE_MESSAGE(shortened.ok(), shortened.error().describe());
    CHECK(shortened->settings.dispatchLease == Milliseconds(6000));

    const auto tooShort = loadWith("PT5S", "PT5S");
    REQUIRE_FALSE(tooShort.ok());
    CHECK(tooShort.error().where == "dispatch.lease");
}
