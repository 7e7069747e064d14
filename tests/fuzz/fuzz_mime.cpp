// MIME multipart/related reader: the Content-Type parameters and the parts of an HTTP body.

#include "FuzzInput.hpp"

#include <gp/messaging/mime/Multipart.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto [header, body] = gp::fuzz::splitFirstLine(gp::fuzz::asText(data, size));
    (void)gp::messaging::mime::parseContentType(header);
    (void)gp::messaging::mime::parse(header, body);
    return 0;
}
