#include <gp/mock/FaultRule.hpp>

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <limits>
#include <sstream>

namespace gp::mock {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr int kMaxTimes = 1'000'000;
constexpr int kMaxHangSeconds = 3600;
constexpr int kMaxDelayMillis = 600'000;

bool isObject(const Poco::Dynamic::Var& var) {
    return var.type() == typeid(Object::Ptr);
}
bool isArray(const Poco::Dynamic::Var& var) {
    return var.type() == typeid(Array::Ptr);
}

// JSON booleans count as integers in Poco's Var, so they are excluded first.
bool isWholeNumber(const Poco::Dynamic::Var& var) {
    return !var.isEmpty() && !var.isBoolean() && !var.isString() && var.isInteger();
}

std::string rangeText(int min, int max) {
    return "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max);
}

Result<int> intField(const Object& object, const std::string& name, const std::string& where,
                     int min, int max) {
    const auto var = object.get(name);
    if (var.isEmpty()) {
        return failure(where, "is required");
    }
    if (!isWholeNumber(var)) {
        return failure(where, rangeText(min, max));
    }
    const auto number = var.convert<long long>();
    if (number < min || number > max) {
        return failure(where, rangeText(min, max));
    }
    return static_cast<int>(number);
}

Result<std::string> stringField(const Object& object, const std::string& name,
                                const std::string& where, bool required) {
    const auto var = object.get(name);
    if (var.isEmpty()) {
        if (required) {
            return failure(where, "is required");
        }
        return std::string();
    }
    if (!var.isString()) {
        return failure(where, "must be a string");
    }
    auto text = var.convert<std::string>();
    if (required && text.empty()) {
        return failure(where, "must not be empty");
    }
    return text;
}

Result<Fault> parseFault(const Object& object, const std::string& prefix, Leg leg) {
    const auto type = stringField(object, "type", prefix + "type", true);
    if (!type) {
        return type.error();
    }
    Fault fault;
    const std::string& kind = *type;
    if (leg == Leg::Forward) {
        if (kind != "http" && kind != "reset" && kind != "lostReply" && kind != "duplicate") {
            return failure(prefix + "type",
                           "must be one of http, reset, lostReply, duplicate when leg is forward");
        }
        if (kind == "lostReply") {
            fault.type = Fault::Type::LostReply;
            return fault;
        }
        if (kind == "duplicate") {
            fault.type = Fault::Type::Duplicate;
            return fault;
        }
    }
    if (kind == "http") {
        fault.type = Fault::Type::Http;
        const auto status = intField(object, "status", prefix + "status", 100, 599);
        if (!status) {
            return status.error();
        }
        fault.status = *status;
        if (object.has("retryAfter")) {
            const auto retry = intField(object, "retryAfter", prefix + "retryAfter", 0, 86400);
            if (!retry) {
                return retry.error();
            }
            fault.retryAfter = *retry;
        }
    } else if (kind == "soapFault") {
        fault.type = Fault::Type::SoapFault;
        const auto codes = object.get("codes");
        if (!isArray(codes)) {
            return failure(prefix + "codes", "must be an array of error code strings");
        }
        const auto& array = *codes.extract<Array::Ptr>();
        if (array.size() == 0) {
            return failure(prefix + "codes", "must hold at least one code");
        }
        for (std::size_t i = 0; i < array.size(); ++i) {
            const auto code = array.get(static_cast<unsigned>(i));
            // A bare number such as 200 is taken as the code "200".
            if (isWholeNumber(code)) {
                fault.codes.push_back(std::to_string(code.convert<long long>()));
            } else if (code.isString() && !code.convert<std::string>().empty()) {
                fault.codes.push_back(code.convert<std::string>());
            } else {
                return failure(prefix + "codes[" + std::to_string(i) + "]",
                               "must be a non-empty string");
            }
        }
        const auto description = stringField(object, "description", prefix + "description", false);
        if (!description) {
            return description.error();
        }
        fault.description = *description;
    } else if (kind == "messageError") {
        fault.type = Fault::Type::MessageError;
        const auto code = stringField(object, "errorCode", prefix + "errorCode", true);
        if (!code) {
            return code.error();
        }
        const auto description = stringField(object, "description", prefix + "description", false);
        if (!description) {
            return description.error();
        }
        fault.errorCode = *code;
        fault.description = *description;
    } else if (kind == "reset" || kind == "resetAfterProcessing") {
        fault.type = Fault::Type::Reset;
        fault.afterProcessing = kind == "resetAfterProcessing";
    } else if (kind == "hang") {
        fault.type = Fault::Type::Hang;
        const auto seconds = intField(object, "seconds", prefix + "seconds", 0, kMaxHangSeconds);
        if (!seconds) {
            return seconds.error();
        }
        fault.seconds = *seconds;
    } else if (kind == "deferred") {
        fault.type = Fault::Type::Deferred;
        if (object.has("polls")) {
            const auto polls = intField(object, "polls", prefix + "polls", 0, kMaxTimes);
            if (!polls) {
                return polls.error();
            }
            fault.polls = *polls;
        }
    } else if (kind == "delay") {
        fault.type = Fault::Type::Delay;
        const auto millis = intField(object, "ms", prefix + "ms", 0, kMaxDelayMillis);
        if (!millis) {
            return millis.error();
        }
        fault.milliseconds = *millis;
    } else {
        return failure(prefix + "type", "must be one of http, soapFault, messageError, reset, "
                                        "resetAfterProcessing, hang, delay, deferred");
    }
    return fault;
}

Result<FaultRule> parseRuleObject(const Poco::Dynamic::Var& var, const std::string& prefix) {
    if (!isObject(var)) {
        return failure(prefix.empty() ? "body" : prefix.substr(0, prefix.size() - 1),
                       "must be a JSON object");
    }
    const auto& object = *var.extract<Object::Ptr>();
    FaultRule rule;
    const auto interaction = stringField(object, "interaction", prefix + "interaction", true);
    if (!interaction) {
        return interaction.error();
    }
    if (interaction->find_first_of(" \t/") != std::string::npos) {
        return failure(prefix + "interaction",
                       "must be an interaction id such as PORX_IN020101SM31, or *");
    }
    rule.interaction = *interaction;
    const auto leg = stringField(object, "leg", prefix + "leg", false);
    if (!leg) {
        return leg.error();
    }
    if (*leg == "forward") {
        rule.leg = Leg::Forward;
    } else if (!leg->empty() && *leg != "inbound") {
        return failure(prefix + "leg", "must be inbound or forward");
    }
    if (object.has("times")) {
        const auto times = intField(object, "times", prefix + "times", 1, kMaxTimes);
        if (!times) {
            return times.error();
        }
        rule.times = *times;
    }
    const auto fault = object.get("fault");
    if (fault.isEmpty()) {
        return failure(prefix + "fault", "is required");
    }
    if (!isObject(fault)) {
        return failure(prefix + "fault", "must be a JSON object");
    }
    auto parsed = parseFault(*fault.extract<Object::Ptr>(), prefix + "fault.", rule.leg);
    if (!parsed) {
        return parsed.error();
    }
    rule.fault = std::move(*parsed);
    return rule;
}

Result<Poco::Dynamic::Var> parseJson(std::string_view json) {
    try {
        Poco::JSON::Parser parser;
        return parser.parse(std::string(json));
    } catch (const Poco::Exception& error) {
        return failure("body", "is not valid JSON: " + error.message());
    }
}

} // namespace

std::string_view toString(Fault::Type type) {
    switch (type) {
    case Fault::Type::Http:
        return "http";
    case Fault::Type::SoapFault:
        return "soapFault";
    case Fault::Type::MessageError:
        return "messageError";
    case Fault::Type::Reset:
        return "reset";
    case Fault::Type::Hang:
        return "hang";
    case Fault::Type::Delay:
        return "delay";
    case Fault::Type::LostReply:
        return "lostReply";
    case Fault::Type::Deferred:
        return "deferred";
    case Fault::Type::Duplicate:
        return "duplicate";
    }
    return "unknown";
}

std::string_view toString(Leg leg) {
    return leg == Leg::Forward ? "forward" : "inbound";
}

Result<FaultRule> parseFaultRule(std::string_view json) {
    auto var = parseJson(json);
    if (!var) {
        return var.error();
    }
    return parseRuleObject(*var, "");
}

Result<std::vector<FaultRule>> parseFaultRules(std::string_view json) {
    auto var = parseJson(json);
    if (!var) {
        return var.error();
    }
    if (!isArray(*var)) {
        return failure("body", "must be a JSON array of fault rules");
    }
    const auto& array = *var->extract<Array::Ptr>();
    std::vector<FaultRule> rules;
    for (std::size_t i = 0; i < array.size(); ++i) {
        auto rule =
            parseRuleObject(array.get(static_cast<unsigned>(i)), "[" + std::to_string(i) + "].");
        if (!rule) {
            return rule.error();
        }
        rules.push_back(std::move(*rule));
    }
    return rules;
}

std::string toJson(const FaultRule& rule) {
    Object::Ptr fault = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    fault->set("type", rule.fault.afterProcessing ? std::string("resetAfterProcessing")
                                                  : std::string(toString(rule.fault.type)));
    switch (rule.fault.type) {
    case Fault::Type::Http:
        fault->set("status", rule.fault.status);
        if (rule.fault.retryAfter) {
            fault->set("retryAfter", *rule.fault.retryAfter);
        }
        break;
    case Fault::Type::SoapFault: {
        Array::Ptr codes = new Array;
        for (const auto& code : rule.fault.codes) {
            codes->add(code);
        }
        fault->set("codes", codes);
        if (!rule.fault.description.empty()) {
            fault->set("description", rule.fault.description);
        }
        break;
    }
    case Fault::Type::MessageError:
        fault->set("errorCode", rule.fault.errorCode);
        fault->set("description", rule.fault.description);
        break;
    case Fault::Type::Reset:
    case Fault::Type::LostReply:
    case Fault::Type::Duplicate:
        break;
    case Fault::Type::Hang:
        fault->set("seconds", rule.fault.seconds);
        break;
    case Fault::Type::Delay:
        fault->set("ms", rule.fault.milliseconds);
        break;
    case Fault::Type::Deferred:
        fault->set("polls", rule.fault.polls);
        break;
    }
    Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("interaction", rule.interaction);
    object.set("times", rule.times);
    if (rule.leg == Leg::Forward) {
        object.set("leg", std::string(toString(rule.leg)));
    }
    object.set("fault", fault);
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

} // namespace gp::mock
