#include <gp/mock/AdminApi.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>

#include <sstream>

namespace gp::mock {

namespace {

std::string stringify(const Poco::JSON::Array& array) {
    std::ostringstream out;
    array.stringify(out);
    return out.str();
}

std::string stringify(const Poco::JSON::Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

} // namespace

MockReply errorReply(int status, const std::string& field, const std::string& message) {
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("error", message);
    object.set("field", field);
    return jsonReply(status, stringify(object));
}

MockReply AdminApi::listFaults() const {
    std::string json = "[";
    for (const auto& rule : m_faults.list()) {
        json += (json.size() > 1 ? "," : "") + toJson(rule);
    }
    return jsonReply(200, json + "]");
}

MockReply AdminApi::addFault(const MockRequest& request) {
    auto rule = parseFaultRule(request.body);
    if (!rule) {
        return errorReply(400, rule.error().where, rule.error().describe());
    }
    Poco::Logger::get("spine-mock.admin")
        .information("fault added: interaction=%s type=%s times=%d", rule->interaction,
                     std::string(toString(rule->fault.type)), rule->times);
    std::string json = toJson(*rule);
    m_faults.add(std::move(*rule));
    return jsonReply(201, std::move(json));
}

MockReply AdminApi::clearFaults() {
    const auto count = m_faults.list().size();
    m_faults.clear();
    Poco::JSON::Object object;
    object.set("cleared", count);
    return jsonReply(200, stringify(object));
}

MockReply AdminApi::journal(const MockRequest& request) {
    auto entries = m_store.journal(request.query("messageId"));
    if (!entries) {
        return errorReply(500, "journal", entries.error().describe());
    }
    Poco::JSON::Array array;
    for (const auto& entry : *entries) {
        Poco::JSON::Object::Ptr object = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        object->set("messageId", entry.messageId);
        object->set("interaction", entry.interaction);
        object->set("outcome", entry.outcome);
        object->set("replyCode", entry.replyCode);
        object->set("receivedAt", entry.receivedAt);
        array.add(object);
    }
    return jsonReply(200, stringify(array));
}

MockReply AdminApi::health() {
    return jsonReply(200, R"({"status":"ok"})");
}

} // namespace gp::mock
