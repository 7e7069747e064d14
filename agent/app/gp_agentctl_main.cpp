// gp-agentctl: the command line over gp-agent's local API, for IT leads and test engineers.

#include <gp/agent/Clock.hpp>
#include <gp/agent/Files.hpp>
#include <gp/agent/TimeFormat.hpp>
#include <gp/agent/config/Settings.hpp>
#include <gp/agent/ctl/ApiClient.hpp>
#include <gp/agent/store/Store.hpp>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr int kOk = 0;
constexpr int kFailed = 1; // the agent said no, or the audit chain is broken
constexpr int kUsage = 2;  // wrong arguments or configuration
constexpr int kUnreachable = 3;

const char* kUsageText = R"(usage: gp-agentctl [--config FILE] COMMAND

Commands:
  submit eps FILE.json          submit a prescription (FILE '-' reads standard input)
  eps cancel PRESCRIPTION_ID LINE_ITEM_ID [REASON]
                                cancel one item of a prescription this agent sent (REASON a
                                code 0001-0008, default 0001 prescribing error)
  eps show PRESCRIPTION_ID      each item's state and Spine's last code, and the messages
  show MESSAGE_ID               a message's state, attempts, last error and history
  status                        counts by state, oldest queued, last ack, last transport error
  audit list [--after N] [--limit N]
                                audit rows after sequence number N (default 0, limit 100)
  audit verify                  recompute the audit hash chain from the database file
  gp2gp request NHS_NUMBER FROM_ODS
                                ask practice FROM_ODS for a patient's record (GP2GP)
  gp2gp show CONVERSATION_ID [--follow]
                                a transfer's state, parts and history; --follow draws a progress
                                bar until the transfer ends
  gp2gp list [--state S]        transfers, newest first, optionally in one state only
  gp2gp ack CONVERSATION_ID (--accept | --reject CODE)
                                accept a received record, or reject it with a NACK code
                                (gp2gp.autoAck=false)
  ers refer NHS_NUMBER SERVICE_ID[,SERVICE_ID...] [--letter FILE [--type MEDIA_TYPE]]
                                make an e-Referral to 1 to 20 shortlisted services, optionally
                                with a letter (the type follows the file's extension)
  ers show REQUEST_ID           an e-RS request's state, UBRN and steps
  ers search NHS_NUMBER [--specialty S]
                                services e-RS offers for the patient (S e.g. CARDIOLOGY)
  ers cancel REQUEST_ID [REASON]
                                cancel a complete request's referral in e-RS
  --json                        (any command) print the agent's JSON as is

The configuration defaults to /etc/gp-agent/agent.properties: gp-agentctl reads the agent's own
file to find the local API's address, the token file and the state directory.
)";

struct Context {
    gp::agent::AgentSettings settings;
    bool json = false;
};

Object::Ptr parseObject(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Object::Ptr>();
}

std::string textOf(const Object::Ptr& object, const std::string& key) {
    if (!object->has(key) || object->isNull(key)) {
        return "-";
    }
    return object->get(key).convert<std::string>();
}

gp::agent::ApiClient clientFor(const gp::agent::AgentSettings& settings) {
    int port = settings.apiPort;
    if (port == 0) {
        // The agent picked a free port and wrote it down when it started.
        auto ports = parseObject(gp::agent::readWholeFile(settings.stateDir / "ports.json"));
        port = ports->getValue<int>("api");
    }
    std::string host = settings.apiBind == "0.0.0.0" ? "127.0.0.1" : settings.apiBind;
    std::string token = gp::agent::readWholeFile(settings.apiTokenFile);
    while (!token.empty() &&
           (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
        token.pop_back();
    }
    return gp::agent::ApiClient(host, port, token);
}

int printErrors(const std::string& body) {
    try {
        auto reply = parseObject(body);
        auto errors = reply->getArray("errors");
        for (std::size_t i = 0; errors && i < errors->size(); ++i) {
            auto error = errors->getObject(static_cast<unsigned>(i));
            const std::string field = textOf(error, "field");
            std::cerr << "error: " << (field.empty() || field == "-" ? "" : field + ": ")
                      << textOf(error, "message") << "\n";
        }
    } catch (const Poco::Exception&) {
        std::cerr << "error: " << body << "\n";
    }
    return kFailed;
}

// GETs `path`; on anything but 200 prints the agent's errors and returns nothing. With --json
// the body is printed as it came and nothing is returned either: the caller has nothing to add.
std::optional<Object::Ptr> fetch(const Context& ctx, const std::string& path, int& exitCode) {
    auto reply = clientFor(ctx.settings).get(path);
    if (reply.status != 200) {
        std::cerr << "HTTP " << reply.status << "\n";
        exitCode = printErrors(reply.body);
        return std::nullopt;
    }
    exitCode = kOk;
    if (ctx.json) {
        std::cout << reply.body << "\n";
        return std::nullopt;
    }
    return parseObject(reply.body);
}

int submitEps(const Context& ctx, const std::string& file) {
    std::string body;
    if (file == "-") {
        body.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        body = gp::agent::readWholeFile(file);
    }
    auto reply = clientFor(ctx.settings).post("/v1/eps/prescriptions", body);
    if (reply.status != 202) {
        std::cerr << "not accepted (HTTP " << reply.status << ")\n";
        return printErrors(reply.body);
    }
    if (ctx.json) {
        std::cout << reply.body << "\n";
        return kOk;
    }
    auto accepted = parseObject(reply.body);
    std::cout << "accepted: message " << textOf(accepted, "messageId") << ", prescription "
              << textOf(accepted, "prescriptionId") << ", state " << textOf(accepted, "state")
              << "\n";
    if (auto items = accepted->getArray("items")) {
        for (std::size_t i = 0; i < items->size(); ++i) {
            std::cout << "  item "
                      << textOf(items->getObject(static_cast<unsigned>(i)), "lineItemId") << "\n";
        }
    }
    return kOk;
}

int epsCancel(const Context& ctx, const std::string& prescriptionId, const std::string& lineItemId,
              const std::string& reason) {
    Object request;
    request.set("prescriptionId", prescriptionId);
    request.set("lineItemId", lineItemId);
    request.set("reason", reason);
    std::ostringstream body;
    request.stringify(body);
    auto reply = clientFor(ctx.settings).post("/v1/eps/cancellations", body.str());
    if (reply.status != 202) {
        std::cerr << "not accepted (HTTP " << reply.status << ")\n";
        return printErrors(reply.body);
    }
    if (ctx.json) {
        std::cout << reply.body << "\n";
        return kOk;
    }
    auto accepted = parseObject(reply.body);
    std::cout << "accepted: cancellation message " << textOf(accepted, "messageId")
              << ", prescription " << textOf(accepted, "prescriptionId") << ", item "
              << textOf(accepted, "lineItemId") << ", state " << textOf(accepted, "state") << "\n";
    return kOk;
}

int epsShow(const Context& ctx, const std::string& prescriptionId) {
    int exitCode = kOk;
    auto fetched = fetch(ctx, "/v1/eps/prescriptions/" + prescriptionId, exitCode);
    if (!fetched) {
        return exitCode;
    }
    const auto& prescription = *fetched;
    std::cout << "prescription " << textOf(prescription, "prescriptionId") << "\nitems:\n";
    auto items = prescription->getArray("items");
    for (std::size_t i = 0; items && i < items->size(); ++i) {
        auto item = items->getObject(static_cast<unsigned>(i));
        std::cout << "  " << textOf(item, "lineItemId") << "  " << textOf(item, "state") << "  "
                  << textOf(item, "code") << "  " << textOf(item, "text") << "  "
                  << textOf(item, "updatedAt") << "\n";
    }
    std::cout << "messages:\n";
    auto messages = prescription->getArray("messages");
    for (std::size_t i = 0; messages && i < messages->size(); ++i) {
        auto message = messages->getObject(static_cast<unsigned>(i));
        std::cout << "  " << textOf(message, "messageId") << "  " << textOf(message, "interaction")
                  << "  " << textOf(message, "state") << "\n";
    }
    return kOk;
}

int show(const Context& ctx, const std::string& messageId) {
    int exitCode = kOk;
    auto fetched = fetch(ctx, "/v1/messages/" + messageId, exitCode);
    if (!fetched) {
        return exitCode;
    }
    const auto& message = *fetched;
    std::cout << "message      " << textOf(message, "messageId") << "\n"
              << "interaction  " << textOf(message, "interaction") << "\n"
              << "business id  " << textOf(message, "businessId") << "\n"
              << "state        " << textOf(message, "state") << "\n"
              << "attempts     " << textOf(message, "attempts") << "\n"
              << "next attempt " << textOf(message, "nextAttemptAt") << "\n"
              << "expires      " << textOf(message, "expiresAt") << "\n";
    if (auto error = message->getObject("lastError")) {
        std::cout << "last error   " << textOf(error, "code") << ": " << textOf(error, "text")
                  << "\n";
    }
    std::cout << "history:\n";
    auto history = message->getArray("history");
    for (std::size_t i = 0; history && i < history->size(); ++i) {
        auto row = history->getObject(static_cast<unsigned>(i));
        std::cout << "  " << textOf(row, "at") << "  " << textOf(row, "event") << "  "
                  << textOf(row, "detail") << "\n";
    }
    return kOk;
}

int status(const Context& ctx) {
    int exitCode = kOk;
    auto fetched = fetch(ctx, "/v1/status", exitCode);
    if (!fetched) {
        return exitCode;
    }
    const auto& summary = *fetched;
    auto counts = summary->getObject("counts");
    for (const char* state : {"queued", "sending", "retry-wait", "acked", "failed", "expired"}) {
        std::cout << state << ": " << textOf(counts, state) << "\n";
    }
    std::cout << "oldest queued (s): " << textOf(summary, "oldestQueuedAgeSeconds") << "\n"
              << "last acknowledged: " << textOf(summary, "lastAckedAt") << "\n";
    if (auto error = summary->getObject("lastTransportError")) {
        std::cout << "last transport error: " << textOf(error, "code") << " at "
                  << textOf(error, "at") << ": " << textOf(error, "text") << "\n";
    }
    return kOk;
}

int auditList(const Context& ctx, const std::string& after, const std::string& limit) {
    int exitCode = kOk;
    auto fetched = fetch(ctx, "/v1/audit?after=" + after + "&limit=" + limit, exitCode);
    if (!fetched) {
        return exitCode;
    }
    auto rows = (*fetched)->getArray("rows");
    for (std::size_t i = 0; rows && i < rows->size(); ++i) {
        auto row = rows->getObject(static_cast<unsigned>(i));
        std::cout << textOf(row, "seq") << "  " << textOf(row, "at") << "  " << textOf(row, "actor")
                  << "  " << textOf(row, "event") << "  " << textOf(row, "messageId") << "  "
                  << textOf(row, "detail") << "\n";
    }
    return kOk;
}

int auditVerify(const Context& ctx) {
    const auto file = ctx.settings.stateDir / "gp-agent.db";
    if (!std::filesystem::exists(file)) {
        std::cerr << "no database at " << file.string() << "\n";
        return kUsage;
    }
    gp::agent::SystemClock clock;
    auto store = gp::agent::openSqliteStoreReadOnly(file, clock);
    const auto result = store->verifyAudit();
    if (result.intact) {
        std::cout << "audit trail intact: " << result.rowsChecked << " rows verified\n";
        if (result.rowsChecked > 0) {
            // Written down elsewhere, these let a later check prove no row was cut off the end.
            std::cout << "last row " << result.lastSeq << ", hash " << result.lastHash << "\n";
        }
        return kOk;
    }
    std::cout << "audit trail BROKEN at row " << result.firstBrokenSeq.value_or(0) << ": "
              << result.reason << " (" << result.rowsChecked << " rows checked)\n";
    return kFailed;
}

// "[#####.....] 5/10 parts, 12.3/30.0 MB": bytes drive the bar when they are known.
std::string progressBar(const Object::Ptr& transfer) {
    const auto number = [&](const std::string& key) -> double {
        if (!transfer->has(key) || transfer->isNull(key)) {
            return 0;
        }
        return transfer->getValue<double>(key);
    };
    const double partsExpected = number("partsExpected");
    const double partsDone = number(transfer->has("partsSent") ? "partsSent" : "partsReceived");
    const double bytesExpected = number("bytesExpected");
    const double bytesDone = number("bytesDone");
    double fraction = 0;
    if (bytesExpected > 0) {
        fraction = bytesDone / bytesExpected;
    } else if (partsExpected > 0) {
        fraction = partsDone / partsExpected;
    }
    fraction = std::min(1.0, std::max(0.0, fraction));
    constexpr int kWidth = 10;
    const int filled = static_cast<int>(fraction * kWidth + 0.5);
    char figures[96];
    std::snprintf(figures, sizeof figures, "] %d/%d parts, %.1f/%.1f MB",
                  static_cast<int>(partsDone), static_cast<int>(partsExpected), bytesDone / 1e6,
                  bytesExpected / 1e6);
    return "[" + std::string(static_cast<std::size_t>(filled), '#') +
           std::string(static_cast<std::size_t>(kWidth - filled), '.') + figures;
}

bool transferEnded(const std::string& state) {
    return state == "closed" || state == "failed" || state == "awaiting-ack";
}

int gp2gpRequest(const Context& ctx, const std::string& nhsNumber, const std::string& fromOds) {
    Object::Ptr body = new Object;
    body->set("nhsNumber", nhsNumber);
    body->set("fromOdsCode", fromOds);
    std::ostringstream json;
    body->stringify(json);
    auto reply = clientFor(ctx.settings).post("/v1/gp2gp/requests", json.str());
    if (reply.status != 202) {
        std::cerr << "not accepted (HTTP " << reply.status << ")\n";
        return printErrors(reply.body);
    }
    if (ctx.json) {
        std::cout << reply.body << "\n";
        return kOk;
    }
    auto accepted = parseObject(reply.body);
    std::cout << "requested: transfer " << textOf(accepted, "conversationId") << " from " << fromOds
              << "\n";
    return kOk;
}

void printTransfer(const Object::Ptr& transfer) {
    std::cout << "transfer     " << textOf(transfer, "conversationId") << "\n"
              << "role         " << textOf(transfer, "role") << "\n"
              << "state        " << textOf(transfer, "state") << "\n"
              << "other side   " << textOf(transfer, "remoteOds") << "\n"
              << "progress     " << progressBar(transfer) << "\n"
              << "deadline     " << textOf(transfer, "deadline") << "\n"
              << "created      " << textOf(transfer, "createdAt") << "\n"
              << "updated      " << textOf(transfer, "updatedAt") << "\n";
    if (textOf(transfer, "errorCode") != "-" || textOf(transfer, "errorText") != "-") {
        std::cout << "error        " << textOf(transfer, "errorCode") << ": "
                  << textOf(transfer, "errorText") << "\n";
    }
    auto parts = transfer->getArray("parts");
    if (parts && parts->size() > 0) {
        std::cout << "parts:\n";
        for (std::size_t i = 0; i < parts->size(); ++i) {
            auto part = parts->getObject(static_cast<unsigned>(i));
            std::cout << "  " << textOf(part, "kind") << "  " << textOf(part, "state") << "  "
                      << textOf(part, "expectedBytes") << " bytes  " << textOf(part, "filename")
                      << "\n";
        }
    }
    auto history = transfer->getArray("history");
    if (history && history->size() > 0) {
        std::cout << "history:\n";
        for (std::size_t i = 0; i < history->size(); ++i) {
            auto row = history->getObject(static_cast<unsigned>(i));
            std::cout << "  " << textOf(row, "at") << "  " << textOf(row, "event") << "  "
                      << textOf(row, "detail") << "\n";
        }
    }
}

int gp2gpShow(const Context& ctx, const std::string& conversationId, bool follow) {
    const std::string path = "/v1/gp2gp/transfers/" + conversationId;
    if (!follow || ctx.json) {
        int exitCode = kOk;
        auto fetched = fetch(ctx, path, exitCode);
        if (fetched) {
            printTransfer(*fetched);
        }
        return exitCode;
    }
    for (;;) {
        int exitCode = kOk;
        auto fetched = fetch(ctx, path, exitCode);
        if (!fetched) {
            return exitCode;
        }
        const std::string state = textOf(*fetched, "state");
        if (transferEnded(state)) {
            std::cout << "\r\033[K";
            printTransfer(*fetched);
            return state == "failed" ? kFailed : kOk;
        }
        // Redrawn in place: one line that fills up while the documents move.
        std::cout << "\r\033[K" << progressBar(*fetched) << "  " << state << std::flush;
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
}

int gp2gpList(const Context& ctx, const std::string& state) {
    int exitCode = kOk;
    auto fetched =
        fetch(ctx, "/v1/gp2gp/transfers" + (state.empty() ? "" : "?state=" + state), exitCode);
    if (!fetched) {
        return exitCode;
    }
    auto transfers = (*fetched)->getArray("transfers");
    for (std::size_t i = 0; transfers && i < transfers->size(); ++i) {
        auto transfer = transfers->getObject(static_cast<unsigned>(i));
        std::cout << textOf(transfer, "conversationId") << "  " << textOf(transfer, "role") << "  "
                  << textOf(transfer, "state") << "  " << textOf(transfer, "remoteOds") << "  "
                  << progressBar(transfer) << "  " << textOf(transfer, "updatedAt") << "\n";
    }
    return kOk;
}

int gp2gpAck(const Context& ctx, const std::string& conversationId, bool accept,
             const std::string& reasonCode) {
    Object::Ptr body = new Object;
    if (accept) {
        body->set("accepted", true);
    } else {
        body->set("reasonCode", reasonCode);
    }
    std::ostringstream json;
    body->stringify(json);
    auto reply =
        clientFor(ctx.settings).post("/v1/gp2gp/transfers/" + conversationId + "/ack", json.str());
    if (reply.status != 202) {
        std::cerr << "not accepted (HTTP " << reply.status << ")\n";
        return printErrors(reply.body);
    }
    if (ctx.json) {
        std::cout << reply.body << "\n";
        return kOk;
    }
    std::cout << (accept ? "accepted" : "rejected") << ": transfer " << conversationId << ", state "
              << textOf(parseObject(reply.body), "state") << "\n";
    return kOk;
}

std::string letterType(const std::string& file) {
    const std::string extension = Poco::toLower(std::filesystem::path(file).extension().string());
    static const std::map<std::string, std::string> kTypes = {
        {".pdf", "application/pdf"},
        {".txt", "text/plain"},
        {".rtf", "application/rtf"},
        {".doc", "application/msword"},
        {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".png", "image/png"},
        {".tif", "image/tiff"},
        {".tiff", "image/tiff"}};
    const auto found = kTypes.find(extension);
    return found == kTypes.end() ? "application/octet-stream" : found->second;
}

int ersRefer(const Context& ctx, const std::string& nhsNumber, const std::string& services,
             const std::string& letter, const std::string& type) {
    Object::Ptr body = new Object;
    body->set("nhsNumber", nhsNumber);
    Poco::JSON::Array::Ptr ids = new Poco::JSON::Array;
    Poco::StringTokenizer tokens(
        services, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& id : tokens) {
        ids->add(id);
    }
    body->set("serviceIds", ids);
    if (!letter.empty()) {
        // The agent reads the file itself, perhaps from another working directory.
        body->set("letterFile", std::filesystem::absolute(letter).string());
        body->set("letterContentType", type.empty() ? letterType(letter) : type);
    }
    std::ostringstream json;
    body->stringify(json);
    auto reply = clientFor(ctx.settings).post("/v1/ers/referrals", json.str());
    if (reply.status != 202) {
        std::cerr << "not accepted (HTTP " << reply.status << ")\n";
        return printErrors(reply.body);
    }
    if (ctx.json) {
        std::cout << reply.body << "\n";
        return kOk;
    }
    std::cout << "accepted: e-RS request " << textOf(parseObject(reply.body), "requestId") << "\n";
    return kOk;
}

int ersShow(const Context& ctx, const std::string& requestId) {
    int exitCode = kOk;
    auto fetched = fetch(ctx, "/v1/ers/referrals/" + requestId, exitCode);
    if (!fetched) {
        return exitCode;
    }
    const auto& request = *fetched;
    std::cout << "request      " << textOf(request, "requestId") << "\n"
              << "state        " << textOf(request, "state") << "\n"
              << "UBRN         " << textOf(request, "ubrn") << "\n"
              << "letter       "
              << (textOf(request, "letter") != "true"           ? "none"
                  : textOf(request, "letterAttached") == "true" ? "attached"
                                                                : "not attached yet")
              << "\n";
    if (textOf(request, "errorCode") != "-") {
        std::cout << "error        " << textOf(request, "errorCode") << ": "
                  << textOf(request, "errorText") << "\n";
    }
    auto steps = request->getArray("steps");
    std::cout << "steps:\n";
    for (std::size_t i = 0; steps && i < steps->size(); ++i) {
        auto step = steps->getObject(static_cast<unsigned>(i));
        std::cout << "  " << textOf(step, "step") << "  " << textOf(step, "state") << "  "
                  << textOf(step, "code") << "  " << textOf(step, "text") << "\n";
    }
    return textOf(request, "state") == "failed" ? kFailed : kOk;
}

int ersSearch(const Context& ctx, const std::string& nhsNumber, const std::string& specialty) {
    Object::Ptr body = new Object;
    body->set("nhsNumber", nhsNumber);
    if (!specialty.empty()) {
        body->set("specialty", specialty);
    }
    std::ostringstream json;
    body->stringify(json);
    auto reply = clientFor(ctx.settings).post("/v1/ers/services/search", json.str());
    if (reply.status != 200) {
        std::cerr << "search failed (HTTP " << reply.status << ")\n";
        return printErrors(reply.body);
    }
    if (ctx.json) {
        std::cout << reply.body << "\n";
        return kOk;
    }
    auto services = parseObject(reply.body)->getArray("services");
    for (std::size_t i = 0; services && i < services->size(); ++i) {
        auto service = services->getObject(static_cast<unsigned>(i));
        std::cout << textOf(service, "id") << "  " << textOf(service, "name") << "\n";
    }
    return kOk;
}

int ersCancel(const Context& ctx, const std::string& requestId, const std::string& reason) {
    Object::Ptr body = new Object;
    if (!reason.empty()) {
        body->set("reason", reason);
    }
    std::ostringstream json;
    body->stringify(json);
    auto reply =
        clientFor(ctx.settings).post("/v1/ers/referrals/" + requestId + "/cancel", json.str());
    if (reply.status != 202) {
        std::cerr << "not accepted (HTTP " << reply.status << ")\n";
        return printErrors(reply.body);
    }
    if (ctx.json) {
        std::cout << reply.body << "\n";
        return kOk;
    }
    std::cout << textOf(parseObject(reply.body), "state") << ": e-RS request " << requestId << "\n";
    return kOk;
}

std::optional<gp::agent::AgentSettings> loadConfig(const std::string& path) {
    try {
        Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> file(
            new Poco::Util::PropertyFileConfiguration(path));
        auto loaded = gp::agent::loadSettings(*file);
        if (!loaded) {
            std::cerr << "gp-agentctl: configuration " << path << ": " << loaded.error().describe()
                      << "\n";
            return std::nullopt;
        }
        return loaded->settings;
    } catch (const Poco::Exception& e) {
        std::cerr << "gp-agentctl: cannot read configuration " << path << ": " << e.displayText()
                  << "\n";
        return std::nullopt;
    }
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
            std::cout << kUsageText;
            return kOk;
        } else {
            args.push_back(arg);
        }
    }
    if (args.empty()) {
        std::cerr << kUsageText;
        return kUsage;
    }
    auto settings = loadConfig(configPath);
    if (!settings) {
        return kUsage;
    }
    Context ctx{*settings, json};
    try {
        const std::string& command = args[0];
        if (command == "submit" && args.size() == 3 && args[1] == "eps") {
            return submitEps(ctx, args[2]);
        }
        if (command == "show" && args.size() == 2) {
            return show(ctx, args[1]);
        }
        if (command == "eps" && (args.size() == 4 || args.size() == 5) && args[1] == "cancel") {
            return epsCancel(ctx, args[2], args[3], args.size() == 5 ? args[4] : "0001");
        }
        if (command == "eps" && args.size() == 3 && args[1] == "show") {
            return epsShow(ctx, args[2]);
        }
        if (command == "status" && args.size() == 1) {
            return status(ctx);
        }
        if (command == "audit" && args.size() >= 2 && args[1] == "verify") {
            return auditVerify(ctx);
        }
        if (command == "audit" && args.size() >= 2 && args[1] == "list") {
            std::string after = "0";
            std::string limit = "100";
            for (std::size_t i = 2; i + 1 < args.size(); i += 2) {
                if (args[i] == "--after") {
                    after = args[i + 1];
                } else if (args[i] == "--limit") {
                    limit = args[i + 1];
                }
            }
            return auditList(ctx, after, limit);
        }
        if (command == "gp2gp" && args.size() == 4 && args[1] == "request") {
            return gp2gpRequest(ctx, args[2], args[3]);
        }
        if (command == "gp2gp" && args.size() >= 3 && args[1] == "show") {
            const bool follow = args.size() == 4 && args[3] == "--follow";
            if (args.size() == 3 || follow) {
                return gp2gpShow(ctx, args[2], follow);
            }
        }
        if (command == "gp2gp" && args.size() >= 2 && args[1] == "list") {
            if (args.size() == 2) {
                return gp2gpList(ctx, "");
            }
            if (args.size() == 4 && args[2] == "--state") {
                return gp2gpList(ctx, args[3]);
            }
        }
        if (command == "gp2gp" && args.size() >= 4 && args[1] == "ack") {
            if (args.size() == 4 && args[3] == "--accept") {
                return gp2gpAck(ctx, args[2], true, "");
            }
            if (args.size() == 5 && args[3] == "--reject") {
                return gp2gpAck(ctx, args[2], false, args[4]);
            }
        }
        if (command == "ers" && args.size() >= 4 && args[1] == "refer") {
            std::string letter;
            std::string type;
            bool wellFormed = true;
            for (std::size_t i = 4; i < args.size(); i += 2) {
                if (i + 1 < args.size() && args[i] == "--letter") {
                    letter = args[i + 1];
                } else if (i + 1 < args.size() && args[i] == "--type") {
                    type = args[i + 1];
                } else {
                    wellFormed = false;
                }
            }
            if (wellFormed) {
                return ersRefer(ctx, args[2], args[3], letter, type);
            }
        }
        if (command == "ers" && args.size() == 3 && args[1] == "show") {
            return ersShow(ctx, args[2]);
        }
        if (command == "ers" && args.size() >= 3 && args[1] == "search") {
            if (args.size() == 3) {
                return ersSearch(ctx, args[2], "");
            }
            if (args.size() == 5 && args[3] == "--specialty") {
                return ersSearch(ctx, args[2], args[4]);
            }
        }
        if (command == "ers" && (args.size() == 3 || args.size() == 4) && args[1] == "cancel") {
            return ersCancel(ctx, args[2], args.size() == 4 ? args[3] : "");
        }
    } catch (const Poco::Exception& e) {
        std::cerr << "gp-agentctl: cannot reach the agent: " << e.displayText() << "\n";
        return kUnreachable;
    } catch (const std::exception& e) {
        std::cerr << "gp-agentctl: " << e.what() << "\n";
        return kFailed;
    }
    std::cerr << kUsageText;
    return kUsage;
}
