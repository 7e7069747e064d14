// spine-mock: a stand-in for the NHS Spine (EPS reliable messaging, GP2GP forwarding between
// practices, route lookup) for suppliers' tests. See docs/spine-mock.md.

#include <gp/mock/Clock.hpp>
#include <gp/mock/MockConfig.hpp>
#include <gp/mock/MockServer.hpp>
#include <gp/mock/MockService.hpp>
#include <gp/mock/SystemRandom.hpp>
#include <gp/mock/Waiter.hpp>

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionCallback.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/PropertyFileConfiguration.h>
#include <Poco/Util/ServerApplication.h>

#include <iostream>
#include <optional>
#include <sstream>

namespace {

using Poco::Util::Option;
using Poco::Util::OptionCallback;

class SpineMockApp final : public Poco::Util::ServerApplication {
protected:
    void defineOptions(Poco::Util::OptionSet& options) override {
        // Application's, not ServerApplication's: under systemd there is no --daemon or pidfile.
        Application::defineOptions(options);
        options.addOption(Option("help", "h", "print this help and the configuration keys")
                              .callback(OptionCallback<SpineMockApp>(this, &SpineMockApp::onHelp)));
        options.addOption(
            Option("config", "c", "Poco properties file with mock.* keys")
                .argument("FILE")
                .repeatable(false)
                .callback(OptionCallback<SpineMockApp>(this, &SpineMockApp::onConfig)));
        options.addOption(Option("port", "p", "HTTP port, overrides mock.port (0: any free port)")
                              .argument("N")
                              .repeatable(false)
                              .callback(OptionCallback<SpineMockApp>(this, &SpineMockApp::onPort)));
        options.addOption(
            Option("allow-plain-http", "", "test set-ups: plain HTTP (sets mock.allowPlainHttp)")
                .callback(OptionCallback<SpineMockApp>(this, &SpineMockApp::onAllowPlainHttp)));
        options.addOption(
            Option("state-dir", "s", "state directory, overrides mock.stateDir")
                .argument("DIR")
                .repeatable(false)
                .callback(OptionCallback<SpineMockApp>(this, &SpineMockApp::onStateDir)));
    }

    int main(const ArgVec&) override {
        if (m_helpRequested) {
            return EXIT_OK;
        }
        setUpLogging("information");
        Poco::Logger& log = Poco::Logger::get("spine-mock");

        std::vector<std::string> warnings;
        auto config = gp::mock::MockConfig::fromConfiguration(this->config(), warnings);
        for (const auto& warning : warnings) {
            log.warning(warning);
        }
        if (!config) {
            log.fatal("invalid configuration: " + config.error().describe());
            return EXIT_CONFIG;
        }
        warnings.clear();
        if (auto secure = gp::mock::checkListenerSecurity(*config, warnings); !secure) {
            log.fatal("invalid configuration: " + secure.error().describe());
            return EXIT_CONFIG;
        }
        for (const auto& warning : warnings) {
            log.warning(warning);
        }
        setUpLogging(config->logLevel);

        gp::mock::SystemClock clock;
        gp::mock::SystemRandom random;
        gp::mock::ShutdownWaiter waiter;
        std::optional<gp::mock::MockService> service;
        std::optional<gp::mock::MockServer> server;
        try {
            service.emplace(*config, clock, random, waiter);
            server.emplace(*service, waiter);
            server->start();
            service->forwarder().start();
        } catch (const Poco::Exception& error) {
            log.fatal("cannot start: " + error.displayText());
            return EXIT_OSERR;
        } catch (const std::exception& error) {
            log.fatal(std::string("cannot start: ") + error.what());
            return EXIT_CANTCREAT;
        }
        if (auto written = gp::mock::writePortsFile(config->stateDir, server->port()); !written) {
            log.fatal("cannot write ports.json: " + written.error().describe());
            server->stop();
            service->forwarder().stop();
            return EXIT_CANTCREAT;
        }
        log.information("listening on %s:%hu (%s), state in %s", config->bind, server->port(),
                        std::string(config->tls.enabled() ? "mutual TLS" : "PLAIN HTTP"),
                        config->stateDir);

        waitForTerminationRequest();
        log.information("stopping");
        server->stop();
        service->forwarder().stop();
        return EXIT_OK;
    }

private:
    void onHelp(const std::string&, const std::string&) {
        m_helpRequested = true;
        Poco::Util::HelpFormatter help(options());
        help.setCommand(commandName());
        help.setUsage("--config FILE | --port N --state-dir DIR");
        help.setHeader("A stand-in for the NHS Spine: EPS, GP2GP forwarding and route lookup.");
        std::ostringstream keys;
        keys << "Configuration keys (flags override the file):\n";
        for (const auto& key : gp::mock::configKeys()) {
            keys << "  " << key.name << " (default '" << key.defaultValue
                 << "'): " << key.description << "\n";
        }
        help.setFooter(keys.str());
        help.format(std::cout);
        stopOptionsProcessing();
    }

    // Always a properties file, whatever its extension; below the flags' layer, so flags win.
    void onConfig(const std::string&, const std::string& path) {
        config().add(new Poco::Util::PropertyFileConfiguration(path), PRIO_DEFAULT, false);
    }
    void onPort(const std::string&, const std::string& port) {
        config().setString("mock.port", port);
    }
    void onAllowPlainHttp(const std::string&, const std::string&) {
        config().setString("mock.allowPlainHttp", "true");
    }
    void onStateDir(const std::string&, const std::string& dir) {
        config().setString("mock.stateDir", dir);
    }

    static void setUpLogging(const std::string& level) {
        Poco::AutoPtr<Poco::PatternFormatter> formatter(
            new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t"));
        Poco::AutoPtr<Poco::FormattingChannel> channel(
            new Poco::FormattingChannel(formatter, new Poco::ConsoleChannel(std::cerr)));
        Poco::Logger::setChannel("", channel);
        Poco::Logger::setLevel("", Poco::Logger::parseLevel(level));
    }

    bool m_helpRequested = false;
};

} // namespace

POCO_SERVER_MAIN(SpineMockApp)
