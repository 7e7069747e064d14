#include "TransmissionWrapper.hpp"

#include <gp/messaging/hl7/ApplicationAck.hpp>
#include <gp/messaging/xml/SafeXml.hpp>

#include <optional>

namespace gp::messaging::hl7 {

namespace {

constexpr std::string_view kInteraction = "MCCI_IN010000UK13";
constexpr std::string_view kVersionCode = "V3NPfIT3.0";
// Code systems Spine uses when a sender gives none: acknowledgementDetail errors, and EPS
// detected-issue codes (GP2GP callers pass their own, 2.16.840.1.113883.2.1.3.2.4.17.101).
constexpr std::string_view kAckDetailSystem = "2.16.840.1.113883.2.1.3.2.4.17.32";
constexpr std::string_view kDetectedIssueSystem = "2.16.840.1.113883.2.1.3.2.4.17.42";

// The first acknowledgement anywhere, so that an ack wrapped in SOAP or in another
// interaction's transmission wrapper reads the same as a bare one.
const std::string kAck = "(//hl7:acknowledgement)[1]";
const std::string kReasonCodes =
    kAck + "/../hl7:ControlActEvent/hl7:reason/hl7:justifyingDetectedIssueEvent/hl7:code";
const std::string kDetailCodes = kAck + "/hl7:acknowledgementDetail/hl7:code";

std::string_view orDefault(const std::string& value, std::string_view fallback) {
    return value.empty() ? fallback : std::string_view(value);
}

std::optional<AckTypeCode> typeCodeFrom(std::string_view text) {
    if (text == "AA") {
        return AckTypeCode::AA;
    }
    if (text == "AE") {
        return AckTypeCode::AE;
    }
    if (text == "AR") {
        return AckTypeCode::AR;
    }
    return std::nullopt;
}

Status readCodes(const xml::Document& doc, const std::string& codesPath,
                 const std::string& wherePrefix, std::vector<AckDetail>& out) {
    const std::size_t n = doc.count(codesPath);
    for (std::size_t i = 1; i <= n; ++i) {
        const std::string node = "(" + codesPath + ")[" + std::to_string(i) + "]";
        std::optional<std::string> code = doc.text(node + "/@code");
        if (!code || code->empty()) {
            return failure(wherePrefix + "[" + std::to_string(i) + "]/code/@code", "is missing");
        }
        out.push_back(AckDetail{std::move(*code), doc.text(node + "/@displayName").value_or(""),
                                doc.text(node + "/@codeSystem").value_or("")});
    }
    return success();
}

} // namespace

std::string_view toString(AckTypeCode code) {
    switch (code) {
    case AckTypeCode::AA:
        return "AA";
    case AckTypeCode::AE:
        return "AE";
    case AckTypeCode::AR:
        return "AR";
    }
    return "??";
}

std::string buildApplicationAck(const ApplicationAckSpec& spec) {
    // An AR says the message itself was rejected, so its reasons travel on the acknowledgement;
    // otherwise they are business issues and travel on the ControlActEvent.
    const bool rejected = spec.typeCode == AckTypeCode::AR;

    Hl7Writer w;
    const auto writeRejections = [&](Hl7Writer& ackWriter) {
        if (!rejected) {
            return;
        }
        for (const AckDetail& detail : spec.details) {
            ackWriter.open("acknowledgementDetail", {{"typeCode", "ER"}});
            ackWriter.empty("code", {{"code", detail.code},
                                     {"codeSystem", orDefault(detail.codeSystem, kAckDetailSystem)},
                                     {"displayName", detail.displayName}});
            ackWriter.close();
        }
    };
    openTransmissionWrapper(
        w, {.interaction = kInteraction,
            .messageId = spec.messageId,
            .creationTime = spec.creationTime,
            .toAsid = spec.toAsid,
            .fromAsid = spec.fromAsid,
            .versionCode = kVersionCode,
            .acknowledgement = WrapperAcknowledgement{.typeCode = toString(spec.typeCode),
                                                      .messageRef = spec.messageRef,
                                                      .details = writeRejections}});
    if (!rejected) {
        for (const AckDetail& detail : spec.details) {
            w.open("reason", {{"typeCode", "RSON"}});
            w.open("justifyingDetectedIssueEvent", {{"classCode", "ALRT"}, {"moodCode", "EVN"}});
            w.open("code", {{"code", detail.code},
                            {"codeSystem", orDefault(detail.codeSystem, kDetectedIssueSystem)},
                            {"displayName", detail.displayName}});
            w.empty("qualifier", {{"code", "ER"}});
            w.close(); // code
            w.close(); // justifyingDetectedIssueEvent
            w.close(); // reason
        }
    }
    w.close(); // ControlActEvent
    w.close(); // root
    return w.finish();
}

Result<ApplicationAck> parseApplicationAck(std::string_view xmlText) {
    Result<xml::Document> parsed = xml::parse(xmlText);
    if (!parsed) {
        return parsed.error();
    }
    return parseApplicationAck(*parsed);
}

Result<ApplicationAck> parseApplicationAck(const xml::Document& doc) {
    if (doc.count(kAck) == 0) {
        return failure("acknowledgement", "is missing");
    }
    ApplicationAck ack;
    const std::optional<std::string> typeCode = doc.text(kAck + "/@typeCode");
    if (!typeCode) {
        return failure("acknowledgement/@typeCode", "is missing");
    }
    const std::optional<AckTypeCode> type = typeCodeFrom(*typeCode);
    if (!type) {
        return failure("acknowledgement/@typeCode",
                       "must be AA, AE or AR, not \"" + *typeCode + "\"");
    }
    ack.typeCode = *type;

    std::optional<std::string> ref = doc.text(kAck + "/hl7:messageRef/hl7:id/@root");
    if (!ref || ref->empty()) {
        return failure("acknowledgement/messageRef/id/@root", "is missing");
    }
    ack.messageRef = std::move(*ref);

    std::optional<std::string> id = doc.text(wrapperMessageIdPath(kAck + "/.."));
    if (!id || id->empty()) {
        return failure("id/@root", "is missing");
    }
    ack.messageId = std::move(*id);

    if (Status s =
            readCodes(doc, kDetailCodes, "acknowledgement/acknowledgementDetail", ack.details);
        !s) {
        return s.error();
    }
    if (Status s = readCodes(doc, kReasonCodes,
                             "ControlActEvent/reason/justifyingDetectedIssueEvent", ack.details);
        !s) {
        return s.error();
    }
    return ack;
}

} // namespace gp::messaging::hl7
