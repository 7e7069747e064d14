#pragma once

#include <gp/Result.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace gp::messaging::gp2gp {

/// RCMR_IN010000UK05: the requesting practice (new) asks the sending practice (old) for a
/// patient's record.
struct EhrRequest {
    std::string messageId; // upper-case UUID, same as the ebXML MessageId
    std::chrono::sys_seconds creationTime{};
    std::string requestId; // upper-case UUID identifying the request (EhrRequest/id)
    std::string nhsNumber;
    std::string requesterOds;
    std::string senderOds;
    std::string requesterAsid;
    std::string senderAsid;
};

std::string buildEhrRequest(const EhrRequest& request);

/// Errors name the missing element, e.g. where="recordTarget/patient/id/@extension".
Result<EhrRequest> parseEhrRequest(std::string_view xml);

} // namespace gp::messaging::gp2gp
