#include <gp/mock/Practice.hpp>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include <algorithm>
#include <sstream>

namespace gp::mock {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

bool isUpperAlnum(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

Result<std::string> requiredString(const Object& object, const std::string& name,
                                   const std::string& where) {
    const auto var = object.get(name);
    if (var.isEmpty()) {
        return failure(where, "is required");
    }
    if (!var.isString()) {
        return failure(where, "must be a string");
    }
    return var.convert<std::string>();
}

Status checkOdsCode(const std::string& ods, const std::string& where) {
    // ODS codes of GP practices are one letter and five digits; other organisations (YES, the
    // Spine) are shorter, so only the alphabet and a sane length are checked.
    if (ods.empty() || ods.size() > 10 || !std::all_of(ods.begin(), ods.end(), isUpperAlnum)) {
        return failure(where, "must be 1 to 10 upper-case letters and digits, such as A83008");
    }
    return success();
}

Status checkPartyKey(const std::string& key, const std::string& where) {
    const auto dash = key.find('-');
    const bool shaped =
        dash != std::string::npos && dash > 0 && dash + 1 < key.size() &&
        std::all_of(key.begin(), key.begin() + static_cast<std::ptrdiff_t>(dash), isUpperAlnum) &&
        std::all_of(key.begin() + static_cast<std::ptrdiff_t>(dash) + 1, key.end(), isDigit);
    if (!shaped) {
        return failure(where, "must be a party key such as A83008-9199121");
    }
    return success();
}

Status checkAsid(const std::string& asid, const std::string& where) {
    if (asid.empty() || asid.size() > 12 || !std::all_of(asid.begin(), asid.end(), isDigit)) {
        return failure(where, "must be 1 to 12 digits, such as 200000001234");
    }
    return success();
}

Status checkInboundUrl(const std::string& url, const std::string& where) {
    const std::string problem =
        "must be an http or https URL such as http://127.0.0.1:7671/inbound";
    try {
        const Poco::URI uri(url);
        if ((uri.getScheme() != "http" && uri.getScheme() != "https") || uri.getHost().empty()) {
            return failure(where, problem);
        }
    } catch (const Poco::Exception&) {
        return failure(where, problem);
    }
    return success();
}

Result<Practice> readPractice(const Poco::Dynamic::Var& var, const std::string& prefix) {
    if (var.type() != typeid(Object::Ptr)) {
        return failure(prefix.empty() ? "body" : prefix.substr(0, prefix.size() - 1),
                       "must be a JSON object");
    }
    const auto& object = *var.extract<Object::Ptr>();
    Practice practice;
    struct Field {
        const char* name;
        std::string* target;
        Status (*check)(const std::string&, const std::string&);
    };
    const Field fields[] = {
        {"odsCode", &practice.odsCode, checkOdsCode},
        {"partyKey", &practice.partyKey, checkPartyKey},
        {"asid", &practice.asid, checkAsid},
        {"inboundUrl", &practice.inboundUrl, checkInboundUrl},
    };
    for (const auto& field : fields) {
        const std::string where = prefix + field.name;
        auto text = requiredString(object, field.name, where);
        if (!text) {
            return text.error();
        }
        if (auto checked = field.check(*text, where); !checked) {
            return checked.error();
        }
        *field.target = std::move(*text);
    }
    return practice;
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

Result<Practice> parsePractice(std::string_view json) {
    auto var = parseJson(json);
    if (!var) {
        return var.error();
    }
    return readPractice(*var, "");
}

Result<std::vector<Practice>> parsePractices(std::string_view json) {
    auto var = parseJson(json);
    if (!var) {
        return var.error();
    }
    if (var->type() != typeid(Array::Ptr)) {
        return failure("body", "must be a JSON array of practices");
    }
    const auto& array = *var->extract<Array::Ptr>();
    std::vector<Practice> practices;
    for (std::size_t i = 0; i < array.size(); ++i) {
        auto practice =
            readPractice(array.get(static_cast<unsigned>(i)), "[" + std::to_string(i) + "].");
        if (!practice) {
            return practice.error();
        }
        practices.push_back(std::move(*practice));
    }
    return practices;
}

std::string toJson(const Practice& practice) {
    Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("odsCode", practice.odsCode);
    object.set("partyKey", practice.partyKey);
    object.set("asid", practice.asid);
    object.set("inboundUrl", practice.inboundUrl);
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

} // namespace gp::mock
