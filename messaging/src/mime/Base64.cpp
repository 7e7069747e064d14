#include <gp/messaging/mime/Base64Stream.hpp>
#include <gp/messaging/mime/Multipart.hpp>

namespace gp::messaging::mime {

// One implementation: the whole-string forms are the streaming codec fed in one piece.

std::string base64Encode(std::string_view bytes, std::size_t lineLength) {
    std::string out;
    out.reserve(static_cast<std::size_t>(Base64Encoder::encodedSize(bytes.size(), lineLength)));
    Base64Encoder encoder(lineLength);
    encoder.update(bytes, out);
    encoder.finish(out);
    return out;
}

Result<std::string> base64Decode(std::string_view text) {
    std::string out;
    Base64Decoder decoder;
    if (auto decoded = decoder.update(text, out); !decoded) {
        return decoded.error();
    }
    if (auto finished = decoder.finish(); !finished) {
        return finished.error();
    }
    return out;
}

} // namespace gp::messaging::mime
