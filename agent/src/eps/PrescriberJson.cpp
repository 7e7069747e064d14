#include "PrescriberJson.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <set>
#include <sstream>

namespace gp::agent {

namespace {

void readText(const Poco::JSON::Object& object, const std::string& name, const std::string& where,
              std::string& into, std::vector<Error>& errors) {
    if (!object.has(name)) {
        return;
    }
    const Poco::Dynamic::Var value = object.get(name);
    if (!value.isString()) {
        errors.push_back(Error{where + "." + name, "must be a string"});
        return;
    }
    into = value.convert<std::string>();
}

Poco::JSON::Object::Ptr objectOf(const Poco::JSON::Object& parent, const std::string& name) {
    if (!parent.has(name) || parent.get(name).type() != typeid(Poco::JSON::Object::Ptr)) {
        return nullptr;
    }
    return parent.getObject(name);
}

} // namespace

std::string writePrescriberJson(const PrescriberRecord& record) {
    Poco::JSON::Object::Ptr prescriber = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    prescriber->set("odsCode", record.prescriber.odsCode);
    prescriber->set("sdsUserId", record.prescriber.sdsUserId);
    prescriber->set("sdsRoleProfileId", record.prescriber.sdsRoleProfileId);
    prescriber->set("name", record.prescriber.name);
    prescriber->set("professionalCode", record.prescriber.professionalCode);
    Poco::JSON::Object::Ptr organisation = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    organisation->set("odsCode", record.organisation.odsCode);
    organisation->set("name", record.organisation.name);
    Poco::JSON::Object top(Poco::JSON_PRESERVE_KEY_ORDER);
    top.set("prescriber", prescriber);
    top.set("organisation", organisation);
    std::ostringstream out;
    top.stringify(out);
    return out.str();
}

PrescriberRecord readPrescriberJson(const std::string& json) {
    PrescriberRecord record;
    if (json.empty()) {
        return record;
    }
    try {
        Poco::JSON::Parser parser;
        const auto parsed = parser.parse(json);
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
            return record;
        }
        const auto top = parsed.extract<Poco::JSON::Object::Ptr>();
        std::vector<Error> ignored;
        if (auto prescriber = objectOf(*top, "prescriber")) {
            readPrescriberObject(*prescriber, "prescriber", record.prescriber, ignored);
        }
        if (auto organisation = objectOf(*top, "organisation")) {
            readOrganisationObject(*organisation, "organisation", record.organisation, ignored);
        }
    } catch (const Poco::Exception&) {
        // Written by writePrescriberJson; unreadable only if hand-edited: no defaults then.
    }
    return record;
}

void readPrescriberObject(const Poco::JSON::Object& object, const std::string& where,
                          messaging::eps::Prescriber& into, std::vector<Error>& errors) {
    readText(object, "odsCode", where, into.odsCode, errors);
    readText(object, "sdsUserId", where, into.sdsUserId, errors);
    readText(object, "sdsRoleProfileId", where, into.sdsRoleProfileId, errors);
    readText(object, "name", where, into.name, errors);
    readText(object, "professionalCode", where, into.professionalCode, errors);
}

void readOrganisationObject(const Poco::JSON::Object& object, const std::string& where,
                            messaging::eps::Organisation& into, std::vector<Error>& errors) {
    readText(object, "odsCode", where, into.odsCode, errors);
    readText(object, "name", where, into.name, errors);
}

void mergeErrors(std::vector<Error>& into, const std::vector<Error>& more) {
    std::set<std::string> named;
    for (const auto& e : into) {
        named.insert(e.where);
    }
    for (const auto& e : more) {
        if (named.insert(e.where).second) {
            into.push_back(e);
        }
    }
}

} // namespace gp::agent
