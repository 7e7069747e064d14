#pragma once

#include <gp/Result.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace gp::messaging::xml {
class Document;
} // namespace gp::messaging::xml

namespace gp::messaging::hl7 {

/// MCCI_IN010000UK13 acknowledgement type: accept, error, reject.
enum class AckTypeCode { AA, AE, AR };

std::string_view toString(AckTypeCode code);

/// One reason code carried by an application ack. For AE it comes from
/// ControlActEvent/reason/justifyingDetectedIssueEvent/code; for AR from
/// acknowledgement/acknowledgementDetail/code. Codes are kept exactly as sent ("0002", "06").
struct AckDetail {
    std::string code;
    std::string displayName;
    std::string codeSystem;
};

struct ApplicationAck {
    AckTypeCode typeCode = AckTypeCode::AA;
    std::string messageId;  // the ack's own id (id@root)
    std::string messageRef; // the acknowledged message (acknowledgement/messageRef/id@root)
    std::vector<AckDetail> details;
};

/// Reads an MCCI_IN010000UK13 document (the root may be MCCI_IN010000UK13, or the ack may sit
/// inside another interaction's wrapper). Errors name the missing element.
Result<ApplicationAck> parseApplicationAck(std::string_view xml);
/// The same, from a document already parsed (a reader that had to parse it to find it).
Result<ApplicationAck> parseApplicationAck(const xml::Document& doc);

struct ApplicationAckSpec {
    std::string messageId; // upper-case UUID
    std::chrono::sys_seconds creationTime{};
    AckTypeCode typeCode = AckTypeCode::AA;
    std::string messageRef;
    std::vector<AckDetail> details; // AE: detected-issue codes; AR: acknowledgementDetail codes
    std::string fromAsid;
    std::string toAsid;
};

/// Builds an MCCI_IN010000UK13 document (HL7 timestamps as YYYYMMDDHHMMSS).
std::string buildApplicationAck(const ApplicationAckSpec& spec);

} // namespace gp::messaging::hl7
