// A whole inbound ebXML message: multipart body, envelope, payload and attachments picked out by
// the manifest (what the inbound endpoint does with every POST from Spine).

#include "FuzzInput.hpp"

#include <gp/messaging/ebxml/Message.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto [header, body] = gp::fuzz::splitFirstLine(gp::fuzz::asText(data, size));
    (void)gp::messaging::ebxml::parseMessage(header, body);
    return 0;
}
