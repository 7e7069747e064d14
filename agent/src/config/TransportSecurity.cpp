// The one place that decides whether the agent's connections are secure enough to start with
// (docs/security.md, "Transport: mutual TLS").

#include <gp/agent/config/Settings.hpp>

#include <string_view>

namespace gp::agent {

namespace {

constexpr std::string_view kFlag = "test.allowPlainHttp";

bool isLoopback(const std::string& bind) {
    return bind == "localhost" || bind == "::1" || bind.rfind("127.", 0) == 0;
}

Status bothOrNeither(const ServerTlsSettings& tls) {
    if (tls.certFile.empty() != tls.keyFile.empty()) {
        const std::string missing = tls.certFile.empty() ? "certFile" : "keyFile";
        return failure(tls.keyPrefix + "." + missing, tls.keyPrefix + ".certFile and " +
                                                          tls.keyPrefix +
                                                          ".keyFile must be set together");
    }
    return success();
}

} // namespace

Status checkTransportSecurity(const AgentSettings& s, std::vector<std::string>& warnings) {
    for (const ServerTlsSettings* tls : {&s.apiTls, &s.inboundTls}) {
        if (Status paired = bothOrNeither(*tls); !paired) {
            return paired;
        }
    }
    if (s.inboundTls.enabled() && !s.inboundTls.requiresClientCertificate()) {
        return failure("inbound.clientCaFile",
                       "is required with inbound.certFile (or set tls.caFile): the inbound "
                       "endpoint accepts only senders with a client certificate");
    }
    // The NHS adaptor's API has no authentication, so neither has the front that imitates it:
    // only processes on this machine may reach it, test set-up or not.
    if (s.mhsEnabled && !isLoopback(s.mhsBind)) {
        return failure("mhs.bind", "is " + s.mhsBind +
                                       ": the MHS front takes unauthenticated requests and "
                                       "listens on a loopback address only");
    }
    // What would be refused in a practice, each with the key that would have to change.
    struct Plain {
        std::string key;
        std::string what;
    };
    std::vector<Plain> plain;
    // e-RS counts only when it is configured: its default URL is never dialled without a token.
    const std::string noUrl;
    const std::pair<const char*, const std::string*> urls[] = {
        {"spine.url", &s.spineUrl},
        {"sds.url", &s.sdsUrl},
        {"ers.url", s.ers.tokenFile.empty() ? &noUrl : &s.ers.url}};
    for (const auto& [key, url] : urls) {
        if (url->rfind("http://", 0) == 0) {
            plain.push_back({key, "is " + *url + ": requests and replies travel unencrypted"});
        }
    }
    if (!s.inboundTls.enabled()) {
        plain.push_back({"inbound.certFile", "is not set: the inbound endpoint on " +
                                                 s.inboundBind + " takes plain HTTP from anyone"});
    }
    if (s.spineUrl.rfind("https://", 0) == 0 && s.transport.tls.certFile.empty()) {
        plain.push_back({"tls.certFile", "is not set: the Spine refuses a sender without a "
                                         "client certificate"});
    }
    if (!s.transport.tls.verifyPeer) {
        plain.push_back({"tls.verifyPeer", "is false: any server certificate is accepted"});
    }
    if (!s.apiTls.enabled() && !isLoopback(s.apiBind)) {
        plain.push_back({"api.certFile", "is not set while api.bind is " + s.apiBind +
                                             ": the API token would cross the network in clear"});
    }
    if (plain.empty()) {
        return success();
    }
    if (!s.allowPlainHttp) {
        const Plain& first = plain.front();
        return failure(first.key, first.what +
                                      "; use https:// and certificates (docs/security.md)"
                                      ", or set " +
                                      std::string(kFlag) + " = true in a test set-up only");
    }
    for (const Plain& each : plain) {
        warnings.push_back("PLAIN HTTP, TEST SET-UP ONLY (" + std::string(kFlag) +
                           " = true): " + each.key + " " + each.what);
    }
    return success();
}

} // namespace gp::agent
