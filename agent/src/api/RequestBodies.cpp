#include "RequestBodies.hpp"

#include <Poco/JSON/Parser.h>

#include <exception>
#include <optional>
#include <string>

namespace gp::agent::api {

using Poco::JSON::Object;

Object::Ptr parseJsonObject(std::string_view body) {
    try {
        Poco::JSON::Parser parser;
        const auto parsed = parser.parse(body.empty() ? std::string("{}") : std::string(body));
        if (parsed.type() == typeid(Object::Ptr)) {
            return parsed.extract<Object::Ptr>();
        }
    } catch (const std::exception&) {
        // Not JSON: the caller answers the same 400 as for JSON that is not an object.
    }
    return nullptr;
}

std::vector<Error> readErsReferralInput(const Object::Ptr& body, ErsReferralInput& input) {
    std::vector<Error> errors;
    auto text = [&](const std::string& name, bool required) -> std::optional<std::string> {
        if (!body->has(name) || body->isNull(name)) {
            if (required) {
                errors.push_back(failure(name, "is required"));
            }
            return std::nullopt;
        }
        const auto value = body->get(name);
        if (!value.isString()) {
            errors.push_back(failure(name, "must be a string"));
            return std::nullopt;
        }
        return value.extract<std::string>();
    };
    if (auto nhs = text("nhsNumber", true)) {
        input.nhsNumber = *nhs;
    }
    if (!body->has("serviceIds") || body->isNull("serviceIds")) {
        errors.push_back(failure("serviceIds", "is required"));
    } else if (const auto ids = body->getArray("serviceIds"); !ids) {
        errors.push_back(failure("serviceIds", "must be an array of service ids"));
    } else {
        for (std::size_t i = 0; i < ids->size(); ++i) {
            const auto value = ids->get(static_cast<unsigned>(i));
            if (!value.isString()) {
                errors.push_back(
                    failure("serviceIds[" + std::to_string(i) + "]", "must be a string of digits"));
                continue;
            }
            input.serviceIds.push_back(value.extract<std::string>());
        }
    }
    if (auto letter = text("letterFile", false)) {
        input.letterFile = *letter;
    }
    if (auto type = text("letterContentType", false)) {
        input.letterContentType = *type;
    }
    return errors;
}

} // namespace gp::agent::api
