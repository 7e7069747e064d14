#include "MockTls.hpp"

#include <Poco/Delegate.h>
#include <Poco/Logger.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/VerificationErrorArgs.h>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <mutex>
#include <stdexcept>

namespace gp::mock {

namespace {

/// Logs each refused client certificate (Poco reports them through SSLManager's event), so a
/// test or a supplier can see why a connection was dropped. The error stays in force.
class RefusalLogger {
public:
    void onClientCertificateError(const void*, Poco::Net::VerificationErrorArgs& args) {
        Poco::Logger::get("spine-mock.tls")
            .warning("refused a client certificate (%s): %s at depth %d",
                     args.certificate().subjectName(), args.errorMessage(), args.errorDepth());
        args.setIgnoreError(false);
    }
};

void initialiseOnce() {
    static std::once_flag once;
    static RefusalLogger refusals;
    std::call_once(once, [] {
        Poco::Net::initializeSSL();
        Poco::Net::SSLManager::instance().ServerVerificationError +=
            Poco::Delegate<RefusalLogger, Poco::Net::VerificationErrorArgs>(
                &refusals, &RefusalLogger::onClientCertificateError);
    });
}

void requireReadable(const std::string& file, const std::string& key) {
    if (!std::ifstream(file)) {
        throw std::runtime_error(key + ": cannot read '" + file + "'");
    }
}

Poco::Net::Context::Ptr serverContext(const MockConfig::Tls& tls) {
    initialiseOnce();
    requireReadable(tls.certFile, "mock.tls.certFile");
    requireReadable(tls.keyFile, "mock.tls.keyFile");
    requireReadable(tls.caFile, "mock.tls.caFile");
    Poco::Net::Context::Params params;
    params.certificateFile = tls.certFile;
    params.privateKeyFile = tls.keyFile;
    params.caLocation = tls.caFile;
    params.loadDefaultCAs = false;
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT; // no certificate, no connection
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
    Poco::Net::Context::Ptr context;
    try {
        context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("mock.tls.certFile/mock.tls.keyFile: cannot be used: " +
                                 e.displayText());
    }
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    SSL_CTX* ssl = context->sslContext();
    // Resumed sessions must belong to this listener; OpenSSL refuses them without an id context
    // whenever client certificates are verified.
    static const unsigned char kSessionContext[] = "spine-mock";
    SSL_CTX_set_session_id_context(ssl, kSessionContext, sizeof kSessionContext - 1);
    X509_VERIFY_PARAM* verify = SSL_CTX_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(verify, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    bool first = true;
    for (const auto& name : tls.clientNames) {
        // OpenSSL checks these names during chain verification: a wrong host fails the
        // handshake as an expired certificate does.
        const int ok = first ? X509_VERIFY_PARAM_set1_host(verify, name.c_str(), name.size())
                             : X509_VERIFY_PARAM_add1_host(verify, name.c_str(), name.size());
        if (ok != 1) {
            throw std::runtime_error("mock.tls.clientNames: cannot use '" + name + "'");
        }
        first = false;
    }
    return context;
}

} // namespace

Status checkListenerSecurity(const MockConfig& config, std::vector<std::string>& warnings) {
    const auto& tls = config.tls;
    if (tls.certFile.empty() != tls.keyFile.empty()) {
        return failure(tls.certFile.empty() ? "mock.tls.certFile" : "mock.tls.keyFile",
                       "mock.tls.certFile and mock.tls.keyFile must be set together");
    }
    if (tls.enabled() && tls.caFile.empty()) {
        return failure("mock.tls.caFile", "is required with mock.tls.certFile: the listener "
                                          "accepts only clients with a certificate");
    }
    if (tls.enabled()) {
        return success();
    }
    if (!config.allowPlainHttp) {
        return failure("mock.tls.certFile",
                       "is not set: the Spine speaks only mutual TLS; set mock.tls.certFile, "
                       "keyFile and caFile, or mock.allowPlainHttp = true in a test set-up");
    }
    warnings.push_back("PLAIN HTTP, TEST SET-UP ONLY (mock.allowPlainHttp = true): listening "
                       "without TLS on " +
                       config.bind + "; clients are not authenticated");
    return success();
}

Poco::Net::ServerSocket listenOn(const MockConfig& config) {
    const Poco::Net::SocketAddress address(config.bind, config.port);
    if (!config.tls.enabled()) {
        return Poco::Net::ServerSocket(address);
    }
    return Poco::Net::SecureServerSocket(address, 64, serverContext(config.tls));
}

} // namespace gp::mock
