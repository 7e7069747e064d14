#include "AuditChain.hpp"

#include <gp/agent/TimeFormat.hpp>
#include <gp/agent/store/AuditExport.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <istream>
#include <ostream>
#include <sstream>
#include <stdexcept>

namespace gp::agent {

namespace {

using Poco::JSON::Object;

constexpr int kPage = 5000;

std::string oneLine(const Object::Ptr& object) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(object, out);
    return out.str();
}

Object::Ptr rowObject(const AuditRow& row) {
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("seq", static_cast<Poco::Int64>(row.seq));
    out->set("at", formatIsoTime(row.at));
    out->set("atMillis", static_cast<Poco::Int64>(toEpochMillis(row.at)));
    out->set("actor", row.actor);
    out->set("event", row.event);
    out->set("messageId", row.messageId);
    out->set("detail", row.detail);
    out->set("nhsNumber",
             row.nhsNumber ? Poco::Dynamic::Var(*row.nhsNumber) : Poco::Dynamic::Var());
    out->set("prevHash", row.prevHash);
    out->set("hash", row.hash);
    if (!row.chain.empty()) {
        // A PostgreSQL store's rows name the instance chain they belong to; a SQLite store has
        // one chain and its export stays as it always was.
        out->set("chain", row.chain);
    }
    return out;
}

std::string text(const Object::Ptr& object, const std::string& key) {
    if (!object->has(key) || !object->get(key).isString()) {
        throw std::runtime_error("\"" + key + "\" is missing or not a string");
    }
    return object->getValue<std::string>(key);
}

std::int64_t integer(const Object::Ptr& object, const std::string& key) {
    if (!object->has(key) || !object->get(key).isInteger()) {
        throw std::runtime_error("\"" + key + "\" is missing or not a whole number");
    }
    return object->getValue<Poco::Int64>(key);
}

AuditRow rowFrom(const Object::Ptr& object) {
    AuditRow row;
    row.seq = integer(object, "seq");
    row.at = fromEpochMillis(integer(object, "atMillis"));
    // "at" is for people; it must say what the hashed atMillis says.
    if (text(object, "at") != formatIsoTime(row.at)) {
        throw std::runtime_error("\"at\" does not match \"atMillis\"");
    }
    row.actor = text(object, "actor");
    row.event = text(object, "event");
    row.messageId = text(object, "messageId");
    row.detail = text(object, "detail");
    if (!object->has("nhsNumber")) {
        throw std::runtime_error("\"nhsNumber\" is missing (null for rows older than it)");
    }
    if (!object->isNull("nhsNumber")) {
        row.nhsNumber = text(object, "nhsNumber");
    }
    row.prevHash = text(object, "prevHash");
    row.hash = text(object, "hash");
    if (object->has("chain")) {
        row.chain = text(object, "chain");
    }
    return row;
}

} // namespace

AuditExportSummary writeAuditExport(Store& store, std::ostream& out, TimePoint exportedAt) {
    Object::Ptr header = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    header->set("format", std::string(kAuditExportFormat));
    header->set("version", 1);
    header->set("exportedAt", formatIsoTime(exportedAt));
    out << oneLine(header) << "\n";
    AuditExportSummary summary;
    for (;;) {
        const auto rows = store.auditAfter(summary.lastSeq, kPage);
        for (const AuditRow& row : rows) {
            out << oneLine(rowObject(row)) << "\n";
            ++summary.rows;
            summary.lastSeq = row.seq;
            summary.lastHash = row.hash;
        }
        if (rows.size() < static_cast<std::size_t>(kPage)) {
            break;
        }
    }
    Object::Ptr head = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    head->set("lastSeq", static_cast<Poco::Int64>(summary.lastSeq));
    head->set("lastHash", summary.lastHash);
    Object::Ptr trailer = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    trailer->set("chainHead", head);
    trailer->set("rows", static_cast<Poco::Int64>(summary.rows));
    out << oneLine(trailer) << "\n";
    out.flush();
    if (!out) {
        throw std::runtime_error("the export could not be written");
    }
    return summary;
}

AuditVerification verifyAuditExport(std::istream& in) {
    AuditVerification result;
    const auto broken = [&](std::int64_t seq, std::string reason) {
        result.intact = false;
        result.firstBrokenSeq = seq;
        result.reason = std::move(reason);
        return result;
    };
    // Each row continues its own chain (one, "", for a SQLite store's export).
    sqlite::AuditChains chain;
    std::string line;
    std::size_t lineNumber = 0;
    bool sawHeader = false;
    Object::Ptr trailer;
    while (std::getline(in, line)) {
        ++lineNumber;
        if (line.empty()) {
            continue;
        }
        const std::string where = "line " + std::to_string(lineNumber) + ": ";
        if (trailer) {
            return broken(chain.lastSeq() + 1, where + "text after the chain head");
        }
        Object::Ptr object;
        try {
            object = Poco::JSON::Parser().parse(line).extract<Object::Ptr>();
        } catch (const std::exception&) {
            object = nullptr;
        }
        if (!object) {
            return broken(chain.lastSeq() + 1, where + "not a JSON object");
        }
        if (!sawHeader) {
            if (!object->has("format") ||
                object->getValue<std::string>("format") != std::string(kAuditExportFormat)) {
                return broken(0, where + "not a gp-agent audit export (no format header)");
            }
            sawHeader = true;
            continue;
        }
        if (object->has("chainHead")) {
            trailer = object;
            continue;
        }
        AuditRow row;
        try {
            row = rowFrom(object);
        } catch (const std::exception& e) {
            return broken(chain.lastSeq() + 1, where + e.what());
        }
        ++result.rowsChecked;
        if (auto reason = chain.next(row)) {
            return broken(row.seq, where + *reason);
        }
    }
    if (!trailer) {
        return broken(chain.lastSeq() + 1,
                      "the export ends without its chain head (cut short after row " +
                          std::to_string(chain.lastSeq()) + ")");
    }
    const auto head = trailer->getObject("chainHead");
    try {
        if (!head || integer(head, "lastSeq") != chain.lastSeq() ||
            text(head, "lastHash") != chain.lastHash()) {
            return broken(chain.lastSeq() + 1,
                          "the chain head does not name the last row (rows cut from the end?)");
        }
    } catch (const std::exception& e) {
        return broken(chain.lastSeq() + 1, std::string("chain head: ") + e.what());
    }
    result.lastSeq = chain.lastSeq();
    result.lastHash = chain.lastHash();
    return result;
}

} // namespace gp::agent
