#include <gp/messaging/gp2gp/Gp2gp.hpp>
#include <gp/mock/EpsRules.hpp>
#include <gp/mock/Gp2gpInteractions.hpp>
#include <gp/mock/RouteDirectory.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>

#include <algorithm>
#include <array>
#include <sstream>

namespace gp::mock {

namespace {

using Poco::JSON::Object;

// The EPS interactions a prescribing system sends to Spine (PROTOCOL.md §3).
constexpr std::array<std::string_view, 2> kEpsInteractions = {"PORX_IN020101SM31",
                                                              "PORX_IN030101SM32"};
constexpr std::string_view kEpsPersistDuration = "PT5M";
constexpr std::string_view kEpsRetryInterval = "PT1M";
constexpr int kEpsRetries = 2;

MockReply errors(int status, const std::string& field, const std::string& message) {
    Object::Ptr error = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    error->set("field", field);
    error->set("message", message);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    list->add(error);
    Object body;
    body.set("errors", list);
    std::ostringstream out;
    body.stringify(out);
    return jsonReply(status, out.str());
}

bool isOdsCode(const std::string& ods) {
    return !ods.empty() && ods.size() <= 10 && std::all_of(ods.begin(), ods.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
}

struct Route {
    std::string partyKey;
    std::string asid;
    std::string path;
    std::string cpaId;
    int retries = 0;
    std::string retryInterval;
    std::string persistDuration;
    std::string syncReplyMode;
    std::string actor;
};

} // namespace

MockReply RouteDirectory::lookup(const MockRequest& request) {
    const std::string ods = request.query("odsCode");
    const std::string interactionParameter = request.query("interaction");
    if (ods.empty()) {
        return errors(400, "odsCode", "is required");
    }
    if (!isOdsCode(ods)) {
        return errors(400, "odsCode", "must be 1 to 10 upper-case letters and digits");
    }
    const auto colon = interactionParameter.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == interactionParameter.size()) {
        return errors(400, "interaction",
                      "must be <service>:<interaction>, such as "
                      "urn:nhs:names:services:gp2gp:RCMR_IN010000UK05");
    }
    const std::string service = interactionParameter.substr(0, colon);
    const std::string interaction = interactionParameter.substr(colon + 1);

    Route route;
    if (service == messaging::gp2gp::kService) {
        const Gp2gpInteraction* known = findGp2gpInteraction(interaction);
        if (known == nullptr) {
            return errors(404, "interaction", "no GP2GP route for " + interaction);
        }
        auto practice = m_store.practiceByOds(ods);
        if (!practice) {
            return errors(500, "registry", practice.error().describe());
        }
        if (!*practice) {
            return errors(404, "odsCode", "no practice registered with ODS code " + ods);
        }
        route = {(*practice)->partyKey,
                 (*practice)->asid,
                 "/reliablemessaging/forwardreliable",
                 std::string(known->cpaId),
                 m_config.gp2gpRetries,
                 m_config.gp2gpRetryInterval.text,
                 m_config.gp2gpPersistDurations.at(interaction).text,
                 "None",
                 "urn:oasis:names:tc:ebxml-msg:actor:nextMSH"};
    } else if (service == kEpsService) {
        if (std::find(kEpsInteractions.begin(), kEpsInteractions.end(), interaction) ==
            kEpsInteractions.end()) {
            return errors(404, "interaction", "no EPS route for " + interaction);
        }
        // EPS is national: Spine answers it for its own ODS code and for any practice it knows.
        const std::string spineOds = m_config.partyKey.substr(0, m_config.partyKey.find('-'));
        if (ods != spineOds) {
            auto practice = m_store.practiceByOds(ods);
            if (!practice) {
                return errors(500, "registry", practice.error().describe());
            }
            if (!*practice) {
                return errors(404, "odsCode", "no EPS route for ODS code " + ods);
            }
        }
        route = {m_config.partyKey,
                 m_config.asid,
                 "/reliablemessaging/reliablerequest",
                 m_config.cpaId,
                 kEpsRetries,
                 std::string(kEpsRetryInterval),
                 std::string(kEpsPersistDuration),
                 "MSHSignalsOnly",
                 "urn:oasis:names:tc:ebxml-msg:actor:toPartyMSH"};
    } else {
        return errors(404, "interaction", "no route for service " + service);
    }

    std::string host = request.header("Host");
    if (host.empty()) {
        host = m_config.bind + ":" + std::to_string(m_config.port);
    }
    Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("odsCode", ods);
    body.set("interaction", interactionParameter);
    body.set("partyKey", route.partyKey);
    body.set("asid", route.asid);
    // The scheme the mock itself serves: behind mock.tls.certFile every endpoint is https.
    body.set("endpoint", (m_config.tls.enabled() ? "https://" : "http://") + host + route.path);
    body.set("cpaId", route.cpaId);
    body.set("retries", route.retries);
    body.set("retryInterval", route.retryInterval);
    body.set("persistDuration", route.persistDuration);
    body.set("duplicateElimination", std::string("always"));
    body.set("ackRequested", std::string("always"));
    body.set("syncReplyMode", route.syncReplyMode);
    body.set("actor", route.actor);
    std::ostringstream out;
    body.stringify(out);
    Poco::Logger::get("spine-mock.sds").debug("route %s for %s", interactionParameter, ods);
    return jsonReply(200, out.str());
}

} // namespace gp::mock
