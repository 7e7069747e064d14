// Every inbound GP2GP message as the agent reads it: multipart body, then readGp2gpMessage, which
// tells COPC Continue, attachment, fragment index and fragment apart (and reads requests,
// extracts with their skeletons gunzipped, and acks).

#include "FuzzInput.hpp"

#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/gp2gp/Gp2gpMessages.hpp>

namespace {
// Small, so that a gzip bomb in a skeleton costs the fuzzer little; the cap itself is what is
// under test.
constexpr std::size_t kMaxDecompressed = 1024 * 1024;
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto [header, body] = gp::fuzz::splitFirstLine(gp::fuzz::asText(data, size));
    auto message = gp::messaging::ebxml::parseMessage(header, body);
    if (message) {
        (void)gp::messaging::gp2gp::readGp2gpMessage(*message, kMaxDecompressed);
    }
    return 0;
}
