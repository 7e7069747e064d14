#include <gp/mock/AdminApi.hpp>
#include <gp/mock/Clock.hpp>

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
        .information("fault added: interaction=%s leg=%s type=%s times=%d", rule->interaction,
                     std::string(toString(rule->leg)), std::string(toString(rule->fault.type)),
                     rule->times);
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
        if (!entry.leg.empty()) {
            object->set("leg", entry.leg);
        }
        if (!entry.recipient.empty()) {
            object->set("recipient", entry.recipient);
        }
        array.add(object);
    }
    return jsonReply(200, stringify(array));
}

MockReply AdminApi::listPractices() {
    auto practices = m_store.practices();
    if (!practices) {
        return errorReply(500, "registry", practices.error().describe());
    }
    std::string json = "[";
    for (const auto& practice : *practices) {
        json += (json.size() > 1 ? "," : "") + toJson(practice);
    }
    return jsonReply(200, json + "]");
}

MockReply AdminApi::addPractice(const MockRequest& request) {
    auto practice = parsePractice(request.body);
    if (!practice) {
        return errorReply(400, practice.error().where, practice.error().describe());
    }
    auto created = m_store.upsertPractice(*practice);
    if (!created) {
        const bool conflict = created.error().where == "partyKey";
        return errorReply(conflict ? 400 : 500, created.error().where, created.error().describe());
    }
    Poco::Logger::get("spine-mock.admin")
        .information("practice %s: ods=%s partyKey=%s inbound=%s",
                     std::string(*created ? "registered" : "updated"), practice->odsCode,
                     practice->partyKey, practice->inboundUrl);
    return jsonReply(*created ? 201 : 200, toJson(*practice));
}

MockReply AdminApi::forwards() {
    auto records = m_store.forwards(false);
    if (!records) {
        return errorReply(500, "forwards", records.error().describe());
    }
    const auto iso = [](std::int64_t millis) {
        return formatIsoMillis(TimePoint(
            std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(millis))));
    };
    Poco::JSON::Array array;
    for (const auto& record : *records) {
        Poco::JSON::Object::Ptr object = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        object->set("messageId", record.messageId);
        object->set("interaction", record.interaction);
        object->set("conversationId", record.conversationId);
        object->set("sender", record.sender);
        object->set("recipient", record.recipient);
        object->set("state", record.state);
        object->set("attempts", record.attempts);
        object->set("deliveries", record.deliveries);
        object->set("acceptedAt", iso(record.acceptedAt));
        object->set("nextAttemptAt", iso(record.nextAttemptAt));
        object->set("expiresAt", iso(record.expiresAt));
        object->set("lastResult", record.lastResult);
        array.add(object);
    }
    return jsonReply(200, stringify(array));
}

MockReply AdminApi::health() {
    return jsonReply(200, R"({"status":"ok"})");
}

} // namespace gp::mock
