#pragma once

#include <gp/Result.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>
#include <string_view>

namespace gp::messaging::ers::json {

/// The small set of JSON reads the e-RS parsers share. Missing or mistyped members read as empty,
/// because FHIR resources leave most elements out; the parsers decide what is required.
Result<Poco::JSON::Object::Ptr> parseObject(std::string_view text);

/// The object's resourceType must be `expected` (where "resourceType" otherwise).
Status expectResourceType(const Poco::JSON::Object::Ptr& object, std::string_view expected);

std::string text(const Poco::JSON::Object::Ptr& object, const std::string& name);
Poco::JSON::Object::Ptr object(const Poco::JSON::Object::Ptr& object, const std::string& name);
Poco::JSON::Array::Ptr array(const Poco::JSON::Object::Ptr& object, const std::string& name);
Poco::JSON::Object::Ptr objectAt(const Poco::JSON::Array::Ptr& array, std::size_t index);
std::size_t size(const Poco::JSON::Array::Ptr& array);

/// Compact JSON text (Poco's stringify, no indentation), with "/" left unescaped.
std::string write(const Poco::JSON::Object::Ptr& object);

/// {"system": system, "value": value}
Poco::JSON::Object::Ptr identifier(std::string_view system, std::string_view value);
/// {"system": system, "code": code}
Poco::JSON::Object::Ptr coding(std::string_view system, std::string_view code);
/// {"profile": [profile]}
Poco::JSON::Object::Ptr metaWithProfile(std::string_view profile);

} // namespace gp::messaging::ers::json
