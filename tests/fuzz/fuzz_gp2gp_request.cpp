// GP2GP EHR request (RCMR_IN010000UK05).

#include "FuzzInput.hpp"

#include <gp/messaging/gp2gp/EhrRequest.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)gp::messaging::gp2gp::parseEhrRequest(gp::fuzz::asText(data, size));
    return 0;
}
