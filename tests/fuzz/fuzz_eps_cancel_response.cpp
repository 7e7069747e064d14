// EPS cancellation response (PORX_IN050101SM31/PORX_IN050102SM31) with its status codes.

#include "FuzzInput.hpp"

#include <gp/messaging/eps/Cancellation.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)gp::messaging::eps::parseCancellationResponse(gp::fuzz::asText(data, size));
    return 0;
}
