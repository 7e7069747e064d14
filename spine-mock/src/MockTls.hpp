#pragma once

#include <gp/mock/MockConfig.hpp>

#include <Poco/Net/ServerSocket.h>

namespace gp::mock {

/// The one place spine-mock sets up TLS for its listener: TLS 1.2 or later, mock.tls.certFile
/// and keyFile, and a required client certificate chaining to mock.tls.caFile (and naming one of
/// mock.tls.clientNames, when given), all checked during the handshake. Plain TCP when no
/// certificate is configured. Throws std::runtime_error naming the key when a file is unusable.
Poco::Net::ServerSocket listenOn(const MockConfig& config);

} // namespace gp::mock
