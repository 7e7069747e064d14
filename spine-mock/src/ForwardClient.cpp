#include "ForwardClient.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace gp::mock {

namespace {

struct EasyCleanup {
    void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};
struct ListCleanup {
    void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using EasyHandle = std::unique_ptr<CURL, EasyCleanup>;
using HeaderList = std::unique_ptr<curl_slist, ListCleanup>;

// Replies from a practice are small (an Acknowledgment or an error); anything much larger is
// not an answer the forwarder needs to read.
constexpr std::size_t kMaxReplyBytes = 1024 * 1024;

std::size_t collect(char* data, std::size_t size, std::size_t count, void* target) {
    auto* body = static_cast<std::string*>(target);
    const std::size_t bytes = size * count;
    if (body->size() + bytes > kMaxReplyBytes) {
        return 0; // makes curl fail the transfer with CURLE_WRITE_ERROR
    }
    body->append(data, bytes);
    return bytes;
}

int progress(void* stopping, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<const std::atomic<bool>*>(stopping)->load() ? 1 : 0;
}

HeaderList appendHeader(HeaderList list, const std::string& header) {
    curl_slist* grown = curl_slist_append(list.get(), header.c_str());
    if (grown == nullptr) {
        throw std::bad_alloc();
    }
    (void)list.release(); // now owned through `grown`
    return HeaderList(grown);
}

std::string failureName(CURLcode code) {
    switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        return "connect";
    case CURLE_OPERATION_TIMEDOUT:
        return "timeout";
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        return "reset";
    case CURLE_ABORTED_BY_CALLBACK:
        return "stopped";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        return "tls";
    default:
        return "curl:" + std::to_string(static_cast<int>(code));
    }
}

} // namespace

ForwardClient::ForwardClient(std::chrono::milliseconds timeout, const std::atomic<bool>& stopping,
                             MockConfig::Tls tls)
    : m_timeout(timeout), m_stopping(stopping), m_tls(std::move(tls)) {
    static std::once_flag initialised;
    std::call_once(initialised, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            throw std::runtime_error("cannot initialise libcurl");
        }
    });
}

DeliveryResult ForwardClient::post(const std::string& url, const std::string& contentType,
                                   const std::string& soapAction, const std::string& body) const {
    DeliveryResult result;
    EasyHandle curl(curl_easy_init());
    if (!curl) {
        result.failure = "curl:init";
        return result;
    }
    HeaderList headers;
    headers = appendHeader(std::move(headers), "Content-Type: " + contentType);
    if (!soapAction.empty()) {
        headers = appendHeader(std::move(headers), "SOAPAction: " + soapAction);
    }
    // Without this curl waits for "100 Continue" before sending a large body.
    headers = appendHeader(std::move(headers), "Expect:");

    const long timeout = static_cast<long>(m_timeout.count());
    CURL* handle = curl.get();
    curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_POST, 1L);
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout, 10'000L));
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &result.body);
    curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, progress);
    curl_easy_setopt(handle, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(&m_stopping));
    // Peer and host verification stay on (curl's default); these add the mock's identity and
    // the CA that practices' certificates must chain to.
    if (m_tls.enabled()) {
        curl_easy_setopt(handle, CURLOPT_SSLCERT, m_tls.certFile.c_str());
        curl_easy_setopt(handle, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(handle, CURLOPT_SSLKEY, m_tls.keyFile.c_str());
        curl_easy_setopt(handle, CURLOPT_CAINFO, m_tls.caFile.c_str());
        curl_easy_setopt(handle, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
    }

    const CURLcode code = curl_easy_perform(handle);
    long status = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK) {
        // A response whose body we refused to read still told us its status.
        if (code == CURLE_WRITE_ERROR && status != 0) {
            result.answered = true;
            result.status = static_cast<int>(status);
            return result;
        }
        result.failure = failureName(code);
        result.body.clear();
        return result;
    }
    result.answered = true;
    result.status = static_cast<int>(status);
    char* type = nullptr;
    if (curl_easy_getinfo(handle, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type != nullptr) {
        result.contentType = type;
    }
    return result;
}

} // namespace gp::mock
