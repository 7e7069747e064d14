#include "AuditChain.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

namespace gp::agent::sqlite {

namespace {

void appendField(std::string& out, std::string_view value) {
    out += std::to_string(value.size());
    out += ':';
    out += value;
    out += ',';
}

} // namespace

std::string canonicalAuditForm(const AuditFields& fields) {
    std::string out;
    out.reserve(64 + fields.prevHash.size() + fields.actor.size() + fields.event.size() +
                fields.messageId.size() + fields.detail.size());
    appendField(out, fields.prevHash);
    appendField(out, std::to_string(fields.seq));
    appendField(out, std::to_string(fields.atMillis));
    appendField(out, fields.actor);
    appendField(out, fields.event);
    appendField(out, fields.messageId);
    appendField(out, fields.detail);
    return out;
}

std::string auditHash(const AuditFields& fields) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    const std::string form = canonicalAuditForm(fields);
    engine.update(form);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

} // namespace gp::agent::sqlite
