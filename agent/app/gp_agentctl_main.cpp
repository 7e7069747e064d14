// gp-agentctl: the command line over gp-agent's local API, for IT leads and test engineers.
// The commands live in ctl/; this file reads the options and finds the command.

#include "ctl/Commands.hpp"

#include <Poco/Exception.h>

#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace gp::agent::ctl;

struct Command {
    std::string_view name; // one or two words, matched against the first arguments
    std::string_view synopsis;
    std::string_view help; // lines are split at '\n' and aligned in the usage text
    Handler run;
};

// In the order the usage text lists them.
constexpr Command kCommands[] = {
    {"submit eps", "FILE.json", "submit a prescription (FILE '-' reads standard input)", submitEps},
    {"eps cancel", "PRESCRIPTION_ID LINE_ITEM_ID [REASON]",
     "cancel one item of a prescription this agent sent (REASON a\n"
     "code 0001-0008, default 0001 prescribing error)",
     epsCancel},
    {"eps show", "PRESCRIPTION_ID", "each item's state and Spine's last code, and the messages",
     epsShow},
    {"show", "MESSAGE_ID", "a message's state, attempts, last error and history", showMessage},
    {"status", "", "counts by state, oldest queued, last ack, last transport error", status},
    {"audit list", "[--after N] [--limit N]",
     "audit rows after sequence number N (default 0, limit 100)", auditList},
    {"audit verify", "", "recompute the audit hash chain from the database file", auditVerify},
    {"audit export", "FILE",
     "write the whole audit trail (JSON lines) ending with the chain\n"
     "head, to keep off the machine",
     auditExport},
    {"audit verify-export", "FILE", "check an export's hash chain and head (no agent needed)",
     auditVerifyExport},
    {"token add", "NAME [--scope read|operate|full] [--practices all|ODS,ODS]",
     "make a named API token (default scope read, for a tray; default\n"
     "practices all); it is printed once",
     tokenAdd},
    {"token list", "", "named tokens: name, scope, practices, created (never the tokens)",
     tokenList},
    {"token revoke", "NAME", "stop accepting a named token (the agent notices at once)",
     tokenRevoke},
    {"backup", "DIR",
     "copy the state directory into the new directory DIR while the\n"
     "agent runs (the database through SQLite's online backup)",
     backup},
    {"gp2gp request", "NHS_NUMBER FROM_ODS", "ask practice FROM_ODS for a patient's record (GP2GP)",
     gp2gpRequest},
    {"gp2gp show", "CONVERSATION_ID [--follow]",
     "a transfer's state, parts and history; --follow draws a progress\n"
     "bar until the transfer ends",
     gp2gpShow},
    {"gp2gp list", "[--state S]", "transfers, newest first, optionally in one state only",
     gp2gpList},
    {"gp2gp ack", "CONVERSATION_ID (--accept | --reject CODE)",
     "accept a received record, or reject it with a NACK code\n"
     "(gp2gp.autoAck=false)",
     gp2gpAck},
    {"ers refer", "NHS_NUMBER SERVICE_ID[,SERVICE_ID...] [--letter FILE [--type MEDIA_TYPE]]",
     "make an e-Referral to 1 to 20 shortlisted services, optionally\n"
     "with a letter (the type follows the file's extension)",
     ersRefer},
    {"ers show", "REQUEST_ID", "an e-RS request's state, UBRN and steps", ersShow},
    {"ers search", "NHS_NUMBER [--specialty S]",
     "services e-RS offers for the patient (S e.g. CARDIOLOGY)", ersSearch},
    {"ers cancel", "REQUEST_ID [REASON]", "cancel a complete request's referral in e-RS",
     ersCancel},
};

constexpr std::string_view kConfigurationNote = R"(
The configuration defaults to /etc/gp-agent/agent.properties: gp-agentctl reads the agent's own
file to find the local API's address, the token file and the state directory.
)";

// "  WORDS  help", the help in a column of its own; words too wide for it get a line to themselves.
void describe(std::ostream& out, const std::string& words, std::string_view help) {
    constexpr std::size_t kHelpColumn = 32;
    const std::string indent(kHelpColumn, ' ');
    std::string line = "  " + words;
    if (line.size() + 2 <= kHelpColumn) {
        line.resize(kHelpColumn, ' ');
    } else {
        line += "\n" + indent;
    }
    std::size_t start = 0;
    for (std::size_t end = help.find('\n'); end != std::string_view::npos;
         start = end + 1, end = help.find('\n', start)) {
        out << line << help.substr(start, end - start) << "\n";
        line = indent;
    }
    out << line << help.substr(start) << "\n";
}

std::string usageText() {
    std::ostringstream out;
    out << "usage: gp-agentctl [--config FILE] COMMAND\n\nCommands:\n";
    for (const auto& command : kCommands) {
        std::string words(command.name);
        if (!command.synopsis.empty()) {
            words += " ";
            words += command.synopsis;
        }
        describe(out, words, command.help);
    }
    describe(out, "--json", "(any command) print the agent's JSON as is");
    out << kConfigurationNote;
    return out.str();
}

// The command whose name the arguments start with, and the arguments after its name.
const Command* findCommand(const std::vector<std::string>& args, Args& rest) {
    for (const auto& command : kCommands) {
        std::istringstream words{std::string(command.name)};
        std::size_t matched = 0;
        for (std::string word; words >> word; ++matched) {
            if (matched >= args.size() || args[matched] != word) {
                matched = 0;
                break;
            }
        }
        if (matched > 0) {
            rest.assign(args.begin() + static_cast<std::ptrdiff_t>(matched), args.end());
            return &command;
        }
    }
    return nullptr;
}

} // namespace

int main(int argc, char** argv) {
    std::string configPath = "/etc/gp-agent/agent.properties";
    std::vector<std::string> args;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if ((arg == "--config" || arg == "-c") && i + 1 < argc) {
            configPath = argv[++i];
        } else if (arg == "--json") {
            json = true;
        } else if (arg == "--help" || arg == "-h") {
            std::cout << usageText();
            return kOk;
        } else {
            args.push_back(arg);
        }
    }
    if (args.empty()) {
        std::cerr << usageText();
        return kUsage;
    }
    // Checking an export needs only the file: it runs on machines with no agent configured.
    const bool needsNoConfig = args.size() >= 2 && args[0] == "audit" && args[1] == "verify-export";
    auto settings = needsNoConfig
                        ? std::optional<gp::agent::AgentSettings>(gp::agent::AgentSettings{})
                        : loadConfig(configPath);
    if (!settings) {
        return kUsage;
    }
    const Context ctx{*settings, json};
    try {
        Args rest;
        if (const auto* command = findCommand(args, rest)) {
            if (const auto exitCode = command->run(ctx, rest)) {
                return *exitCode;
            }
        }
    } catch (const Poco::Exception& e) {
        std::cerr << "gp-agentctl: cannot reach the agent: " << e.displayText() << "\n";
        return kUnreachable;
    } catch (const std::exception& e) {
        std::cerr << "gp-agentctl: " << e.what() << "\n";
        return kFailed;
    }
    std::cerr << usageText();
    return kUsage;
}
