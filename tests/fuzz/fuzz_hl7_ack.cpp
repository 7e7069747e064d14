// HL7 MCCI application acknowledgement (AA/AE/AR with reason codes), bare or in a SOAP body.

#include "FuzzInput.hpp"

#include <gp/messaging/hl7/ApplicationAck.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)gp::messaging::hl7::parseApplicationAck(gp::fuzz::asText(data, size));
    return 0;
}
