// e-RS FHIR JSON replies: OperationOutcome, ReferralRequest, service search and worklist.

#include "FuzzInput.hpp"

#include <gp/messaging/ers/ErsResources.hpp>
#include <gp/messaging/ers/OperationOutcome.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view json = gp::fuzz::asText(data, size);
    namespace ers = gp::messaging::ers;
    (void)ers::parseOperationOutcome(json);
    (void)ers::parseReferralRequest(json, "W/\"1\"");
    (void)ers::parseServiceSearch(json);
    (void)ers::parseWorklist(json);
    return 0;
}
