// ebXML SOAP envelope reader: MessageHeader, Manifest, Acknowledgment and ErrorList.

#include "FuzzInput.hpp"

#include <gp/messaging/ebxml/Envelope.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)gp::messaging::ebxml::parseEnvelope(gp::fuzz::asText(data, size));
    return 0;
}
