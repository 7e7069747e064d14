// GP2GP EHR extract (RCMR_IN030000UK06): the summary the requester stores and files.

#include "FuzzInput.hpp"

#include <gp/messaging/gp2gp/EhrExtract.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)gp::messaging::gp2gp::parseEhrExtract(gp::fuzz::asText(data, size));
    return 0;
}
