#pragma once

#include <gp/Result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gp::mock {

/// What an injected failure does to a request, instead of (or, for Delay, before) processing it.
/// On the forward leg (mock to practice) only Http, Reset, LostReply and Duplicate apply: Http and
/// Reset are not delivered, LostReply is delivered but its answer ignored (so it is sent again
/// later), Duplicate is delivered twice in a row.
struct Fault {
    enum class Type {
        Http,
        SoapFault,
        MessageError,
        Reset,
        Hang,
        Delay,
        LostReply,
        Duplicate,
        Deferred
    };

    Type type = Type::Http;
    int status = 503;               // Http
    std::optional<int> retryAfter;  // Http: seconds, sent as Retry-After
    std::vector<std::string> codes; // SoapFault: nasp error codes, e.g. "200"
    std::string errorCode;          // MessageError
    std::string description;        // MessageError, SoapFault (optional)
    int seconds = 0;                // Hang
    int milliseconds = 0;           // Delay
    /// Reset, written "resetAfterProcessing": e-RS processes the request fully, then resets the
    /// connection; other endpoints reset without processing.
    bool afterProcessing = false;
    /// Deferred (EPS): the request is processed, but answered 202 with a Content-Location; the
    /// first `polls` polls of it are answered 202 again, the next one gets the reply.
    int polls = 0;
};

std::string_view toString(Fault::Type type); // "http", "soapFault", ...

/// Which hop a rule applies to: a sender's request to the mock, or the mock's delivery of a
/// forward-reliable message to the recipient practice.
enum class Leg { Inbound, Forward };

std::string_view toString(Leg leg); // "inbound", "forward"

/// A fault for the next `times` requests (or deliveries) whose interaction matches ("*" matches
/// any).
struct FaultRule {
    std::string interaction;
    int times = 1;
    Fault fault;
    Leg leg = Leg::Inbound;
};

/// Reads one rule from the admin API's JSON object. Errors name the bad field as written in the
/// JSON ("times", "fault.status") and say what it must be.
Result<FaultRule> parseFaultRule(std::string_view json);
/// Reads a JSON array of rules (the mock.faults file). Errors name the element: "[2].fault.type".
Result<std::vector<FaultRule>> parseFaultRules(std::string_view json);

/// The rule as JSON, in the form parseFaultRule reads (times = what is left). "leg" is written
/// only for forward rules, so inbound rules keep the form they had before legs existed.
std::string toJson(const FaultRule& rule);

} // namespace gp::mock
