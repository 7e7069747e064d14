// gp-agent: the daemon. Runs in the foreground (systemd supervises it), logs to standard error.

#include <gp/agent/AgentRuntime.hpp>
#include <gp/agent/Logging.hpp>
#include <gp/agent/SystemdNotify.hpp>
#include <gp/agent/config/Settings.hpp>

#include <Poco/Logger.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/PropertyFileConfiguration.h>
#include <Poco/Util/ServerApplication.h>

#include <malloc.h>

#include <iostream>

namespace {

constexpr const char* kDefaultConfig = "/etc/gp-agent/agent.properties";

class AgentApplication final : public Poco::Util::ServerApplication {
protected:
    void defineOptions(Poco::Util::OptionSet& options) override {
        // Not ServerApplication's: --daemon and --pidfile have no place under systemd.
        Application::defineOptions(options);
        options.addOption(Poco::Util::Option("config", "c", "configuration file (properties)")
                              .required(false)
                              .repeatable(false)
                              .argument("FILE")
                              .callback(Poco::Util::OptionCallback<AgentApplication>(
                                  this, &AgentApplication::takeConfig)));
        options.addOption(Poco::Util::Option("help", "h", "show this help")
                              .required(false)
                              .callback(Poco::Util::OptionCallback<AgentApplication>(
                                  this, &AgentApplication::takeHelp)));
        options.addOption(Poco::Util::Option("help-config", "", "list every configuration key")
                              .required(false)
                              .callback(Poco::Util::OptionCallback<AgentApplication>(
                                  this, &AgentApplication::takeHelpConfig)));
    }

    int main(const std::vector<std::string>&) override {
        if (m_helpShown) {
            return EXIT_OK;
        }
        // glibc gives each thread that allocates an arena of its own (up to 8 per core), each
        // holding pages after use; the agent's threads mostly wait, so two arenas serve it and
        // keep its idle footprint small. Set before any thread starts.
        mallopt(M_ARENA_MAX, 2);
        Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> file;
        try {
            file = new Poco::Util::PropertyFileConfiguration(m_configPath);
        } catch (const Poco::Exception& e) {
            std::cerr << "gp-agent: cannot read configuration " << m_configPath << ": "
                      << e.displayText() << "\n";
            return EXIT_CONFIG;
        }
        auto loaded = gp::agent::loadSettings(*file);
        if (!loaded) {
            std::cerr << "gp-agent: configuration " << m_configPath << ": "
                      << loaded.error().describe() << "\n";
            return EXIT_CONFIG;
        }
        gp::agent::configureLogging(loaded->settings.logLevel);
        auto& log = Poco::Logger::get("gp-agent");
        for (const auto& warning : loaded->warnings) {
            log.warning("%s (in %s)", warning, m_configPath);
        }
        try {
            gp::agent::AgentRuntime runtime(loaded->settings);
            runtime.start();
            log.notice("gp-agent started (state in %s)", loaded->settings.stateDir.string());
            // Under systemd (Type=notify) the unit counts as started only from here.
            gp::agent::notifySystemd("READY=1\nSTATUS=sending and listening");
            waitForTerminationRequest();
            gp::agent::notifySystemd("STOPPING=1");
            log.notice("gp-agent stopping");
            runtime.stop();
        } catch (const std::exception& e) {
            log.fatal("gp-agent cannot run: %s", std::string(e.what()));
            return EXIT_SOFTWARE;
        }
        log.notice("gp-agent stopped");
        return EXIT_OK;
    }

private:
    void takeConfig(const std::string&, const std::string& value) { m_configPath = value; }

    void takeHelp(const std::string&, const std::string&) {
        Poco::Util::HelpFormatter help(options());
        help.setCommand(commandName());
        help.setUsage("[--config FILE]");
        help.setHeader("gp-agent sends prescriptions and records to the NHS Spine, durably, and "
                       "serves the practice's local API. Default configuration: " +
                       std::string(kDefaultConfig));
        help.format(std::cout);
        m_helpShown = true;
        stopOptionsProcessing();
    }

    void takeHelpConfig(const std::string&, const std::string&) {
        std::cout << gp::agent::describeKeysAsMarkdown();
        m_helpShown = true;
        stopOptionsProcessing();
    }

    std::string m_configPath = kDefaultConfig;
    bool m_helpShown = false;
};

} // namespace

POCO_SERVER_MAIN(AgentApplication)
