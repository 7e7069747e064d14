#include "TlsServerContext.hpp"

#include <gp/agent/transport/ApiTls.hpp>

#include <Poco/Delegate.h>
#include <Poco/Logger.h>
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

namespace gp::agent {

namespace {

Poco::Logger& logger() {
    return Poco::Logger::get("tls");
}

/// Poco reports every client certificate that fails verification through SSLManager's event;
/// the agent only logs it (leaving the error in force), so that a refused peer is visible.
class RefusalLogger {
public:
    void onClientCertificateError(const void*, Poco::Net::VerificationErrorArgs& args) {
        logger().warning("refused a client certificate (%s): %s at depth %d",
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

void requireReadable(const std::filesystem::path& file, const std::string& key) {
    if (!std::ifstream(file)) {
        throw std::runtime_error(key + ": cannot read " + file.string());
    }
}

} // namespace

Poco::Net::Context::Ptr makeServerContext(const ServerTlsSettings& settings) {
    initialiseOnce();
    const std::string& prefix = settings.keyPrefix;
    requireReadable(settings.certFile, prefix + ".certFile");
    requireReadable(settings.keyFile, prefix + ".keyFile");
    if (settings.requiresClientCertificate()) {
        requireReadable(settings.clientCaFile, prefix + ".clientCaFile");
    }
    Poco::Net::Context::Params params;
    params.certificateFile = settings.certFile.string();
    params.privateKeyFile = settings.keyFile.string();
    params.caLocation = settings.clientCaFile.string();
    params.loadDefaultCAs = false; // only the configured CA may vouch for a client
    // STRICT: a client without a certificate is refused, not merely unverified.
    params.verificationMode = settings.requiresClientCertificate()
                                  ? Poco::Net::Context::VERIFY_STRICT
                                  : Poco::Net::Context::VERIFY_NONE;
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
    Poco::Net::Context::Ptr context;
    try {
        context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    } catch (const Poco::Exception& e) {
        throw std::runtime_error(prefix + ".certFile/" + prefix +
                                 ".keyFile: cannot be used: " + e.displayText());
    }
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    SSL_CTX* ssl = context->sslContext();
    // A client that resumes a session must have been verified for this listener; without an id
    // context OpenSSL refuses every resumption when client certificates are verified.
    static const unsigned char kSessionContext[] = "gp-agent";
    SSL_CTX_set_session_id_context(ssl, kSessionContext, sizeof kSessionContext - 1);
    if (!settings.clientNames.empty()) {
        // Checked by OpenSSL's own chain verification, so a client certificate for another host
        // fails the handshake exactly as an expired one does.
        X509_VERIFY_PARAM* verify = SSL_CTX_get0_param(ssl);
        X509_VERIFY_PARAM_set_hostflags(verify, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        bool first = true;
        for (const auto& name : settings.clientNames) {
            const int ok = first ? X509_VERIFY_PARAM_set1_host(verify, name.c_str(), name.size())
                                 : X509_VERIFY_PARAM_add1_host(verify, name.c_str(), name.size());
            if (ok != 1) {
                throw std::runtime_error(prefix + ".clientNames: cannot use '" + name + "'");
            }
            first = false;
        }
    }
    return context;
}

Poco::Net::Context::Ptr apiClientContext(const ServerTlsSettings& api) {
    initialiseOnce();
    requireReadable(api.certFile, "api.certFile");
    Poco::Net::Context::Params params;
    params.caLocation = api.certFile.string();
    params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
    params.loadDefaultCAs = false;
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    // The pinned certificate is the anchor however it was issued; the name check is moot.
    X509_STORE_set_flags(SSL_CTX_get_cert_store(context->sslContext()), X509_V_FLAG_PARTIAL_CHAIN);
    context->enableExtendedCertificateVerification(false);
    return context;
}

Poco::Net::ServerSocket listenOn(const std::string& bind, int port, const ServerTlsSettings& tls) {
    const Poco::Net::SocketAddress address(bind, static_cast<Poco::UInt16>(port));
    if (!tls.enabled()) {
        return Poco::Net::ServerSocket(address);
    }
    return Poco::Net::SecureServerSocket(address, 64, makeServerContext(tls));
}

} // namespace gp::agent
