#include "FhirJson.hpp"

#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace gp::messaging::ers::json {

using Poco::JSON::Array;
using Poco::JSON::Object;

Result<Object::Ptr> parseObject(std::string_view text) {
    if (text.empty()) {
        return failure("", "empty body, expected a JSON object");
    }
    try {
        Poco::JSON::Parser parser;
        const Poco::Dynamic::Var parsed = parser.parse(std::string(text));
        if (parsed.type() == typeid(Object::Ptr)) {
            auto result = parsed.extract<Object::Ptr>();
            if (result) {
                return result;
            }
        }
        return failure("", "not a JSON object");
    } catch (const Poco::Exception& e) {
        return failure("", "not JSON: " + e.displayText());
    } catch (const std::exception& e) {
        return failure("", std::string("not JSON: ") + e.what());
    }
}

Status expectResourceType(const Object::Ptr& object, std::string_view expected) {
    const std::string found = text(object, "resourceType");
    if (found != expected) {
        return failure("resourceType",
                       "expected " + std::string(expected) + ", found '" + found + "'");
    }
    return success();
}

std::string text(const Object::Ptr& object, const std::string& name) {
    if (!object || !object->has(name) || object->isNull(name)) {
        return {};
    }
    const Poco::Dynamic::Var value = object->get(name);
    if (value.isString()) {
        return value.extract<std::string>();
    }
    if (value.isInteger() || value.isNumeric()) {
        return value.convert<std::string>();
    }
    return {};
}

Object::Ptr object(const Object::Ptr& object, const std::string& name) {
    if (!object || !object->has(name)) {
        return nullptr;
    }
    return object->getObject(name);
}

Array::Ptr array(const Object::Ptr& object, const std::string& name) {
    if (!object || !object->has(name)) {
        return nullptr;
    }
    return object->getArray(name);
}

Object::Ptr objectAt(const Array::Ptr& array, std::size_t index) {
    if (!array || index >= array->size()) {
        return nullptr;
    }
    return array->getObject(static_cast<unsigned int>(index));
}

std::size_t size(const Array::Ptr& array) {
    return array ? array->size() : 0;
}

std::string write(const Object::Ptr& object) {
    std::ostringstream out;
    // Indent 0 and no escaping of "/" keep the bytes stable and readable in golden files.
    object->stringify(out, 0, -1);
    return out.str();
}

Object::Ptr identifier(std::string_view system, std::string_view value) {
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("system", std::string(system));
    out->set("value", std::string(value));
    return out;
}

Object::Ptr coding(std::string_view system, std::string_view code) {
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("system", std::string(system));
    out->set("code", std::string(code));
    return out;
}

Object::Ptr metaWithProfile(std::string_view profile) {
    Object::Ptr meta = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    Array::Ptr profiles = new Array;
    profiles->add(std::string(profile));
    meta->set("profile", profiles);
    return meta;
}

} // namespace gp::messaging::ers::json
