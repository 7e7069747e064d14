#pragma once

#include <gp/agent/Clock.hpp>
#include <gp/agent/eps/EpsSubmissions.hpp>
#include <gp/agent/store/Store.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace gp::agent {

/// HL7 and ebXML carry whole seconds.
std::chrono::sys_seconds toSeconds(TimePoint time);

/// One EPS interaction on its way to Spine: ids, when, and the business id it is filed under.
struct EpsInteraction {
    std::string_view interaction; // the ebXML action, e.g. PORX_IN020101SM31
    std::string messageId;
    std::string conversationId;
    std::string businessId; // the prescription ID
    TimePoint now;
};

/// Wraps an EPS HL7 payload in the async-reliable ebXML message and returns it as the outbox
/// row, built once so that every retry sends the same bytes.
OutboundMessage epsOutbound(const EpsRouting& routing, const EpsInteraction& interaction,
                            std::string hl7Payload);

} // namespace gp::agent
