#include <gp/agent/transport/CurlTransport.hpp>

#include <curl/curl.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string_view>

namespace gp::agent {

namespace {

struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};
using FileHandle = std::unique_ptr<std::FILE, FileCloser>;

constexpr long kUploadBufferBytes = 256 * 1024;

std::size_t readFromFile(char* buffer, std::size_t size, std::size_t count, void* file) {
    return std::fread(buffer, size, count, static_cast<std::FILE*>(file));
}

} // namespace

namespace {

struct EasyDeleter {
    void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
    void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

/// Appends to the list, keeping ownership in the RAII holder even when curl_slist_append fails.
void appendHeader(HeaderList& list, const std::string& line) {
    curl_slist* extended = curl_slist_append(list.get(), line.c_str());
    if (extended == nullptr) {
        throw std::bad_alloc();
    }
    static_cast<void>(list.release());
    list.reset(extended);
}

TransportResult::Failure failureFor(CURLcode code) {
    switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return TransportResult::Failure::ConnectFailed;
    case CURLE_OPERATION_TIMEDOUT:
        return TransportResult::Failure::Timeout;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
        return TransportResult::Failure::ConnectionReset;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
        return TransportResult::Failure::Tls;
    default:
        return TransportResult::Failure::Other;
    }
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                             text.back() == '\n')) {
        text.remove_suffix(1);
    }
    return text;
}

} // namespace

struct CurlTransport::Handle {
    EasyHandle easy;
    char errorText[CURL_ERROR_SIZE] = {};
    HttpResponse response; // filled by the callbacks during one perform

    static std::size_t onBody(char* data, std::size_t size, std::size_t count, void* self) {
        auto* handle = static_cast<Handle*>(self);
        handle->response.body.append(data, size * count);
        return size * count;
    }

    static std::size_t onHeader(char* data, std::size_t size, std::size_t count, void* self) {
        auto* handle = static_cast<Handle*>(self);
        const std::string_view line(data, size * count);
        if (line.rfind("HTTP/", 0) == 0) {
            // A new status line (after a 100 Continue, say): headers before it were not the
            // reply's.
            handle->response.headers.clear();
        } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
            handle->response.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                                  std::string(trim(line.substr(colon + 1))));
        }
        return size * count;
    }
};

namespace {

void check(CURLcode code, const char* option) {
    if (code != CURLE_OK) {
        throw std::runtime_error(std::string("libcurl refused ") + option + ": " +
                                 curl_easy_strerror(code));
    }
}

} // namespace

struct CurlShare::Impl {
    struct ShareDeleter {
        void operator()(CURLSH* share) const noexcept { curl_share_cleanup(share); }
    };
    std::unique_ptr<CURLSH, ShareDeleter> share;
    // One lock per kind of shared data, as libcurl asks for them: a DNS look-up never waits for
    // a TLS session to be stored.
    std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;

    static void lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
        static_cast<Impl*>(self)->locks.at(static_cast<std::size_t>(data)).lock();
    }
    static void unlock(CURL*, curl_lock_data data, void* self) {
        static_cast<Impl*>(self)->locks.at(static_cast<std::size_t>(data)).unlock();
    }
};

CurlShare::CurlShare() : m_impl(std::make_unique<Impl>()) {
    initialiseCurlGlobally();
    m_impl->share.reset(curl_share_init());
    if (!m_impl->share) {
        throw std::runtime_error("curl_share_init failed");
    }
    CURLSH* share = m_impl->share.get();
    const auto set = [&](CURLSHoption option, auto value, const char* name) {
        if (curl_share_setopt(share, option, value) != CURLSHE_OK) {
            throw std::runtime_error(std::string("libcurl refused ") + name);
        }
    };
    set(CURLSHOPT_LOCKFUNC, &Impl::lock, "CURLSHOPT_LOCKFUNC");
    set(CURLSHOPT_UNLOCKFUNC, &Impl::unlock, "CURLSHOPT_UNLOCKFUNC");
    set(CURLSHOPT_USERDATA, static_cast<void*>(m_impl.get()), "CURLSHOPT_USERDATA");
    set(CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION, "CURLSHOPT_SHARE ssl session");
    set(CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS, "CURLSHOPT_SHARE dns");
}

CurlShare::~CurlShare() = default;

CurlTransport::CurlTransport(TransportSettings settings, std::shared_ptr<CurlShare> share)
    : m_share(std::move(share)), m_handle(std::make_unique<Handle>()),
      m_settings(std::move(settings)) {
    initialiseCurlGlobally();
    m_handle->easy.reset(curl_easy_init());
    if (!m_handle->easy) {
        throw std::runtime_error("curl_easy_init failed");
    }
    CURL* easy = m_handle->easy.get();
    // Signals would interrupt other threads' work; timeouts use curl's own timers instead.
    check(curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L), "CURLOPT_NOSIGNAL");
    check(curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, m_handle->errorText), "CURLOPT_ERRORBUFFER");
    check(curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https"), "CURLOPT_PROTOCOLS_STR");
    check(curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L), "CURLOPT_TCP_KEEPALIVE");
    // A request goes out in one write and its answer is awaited: Nagle would only hold back a
    // small request's last segment. (libcurl's default too; said here because it matters.)
    check(curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L), "CURLOPT_TCP_NODELAY");
    if (m_share) {
        check(curl_easy_setopt(easy, CURLOPT_SHARE, m_share->m_impl->share.get()), "CURLOPT_SHARE");
    }
    check(curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                           static_cast<long>(m_settings.connectTimeout.count())),
          "CURLOPT_CONNECTTIMEOUT_MS");
    check(curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                           static_cast<long>(m_settings.totalTimeout.count())),
          "CURLOPT_TIMEOUT_MS");
    check(curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Handle::onBody), "CURLOPT_WRITEFUNCTION");
    check(curl_easy_setopt(easy, CURLOPT_WRITEDATA, m_handle.get()), "CURLOPT_WRITEDATA");
    check(curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Handle::onHeader),
          "CURLOPT_HEADERFUNCTION");
    check(curl_easy_setopt(easy, CURLOPT_HEADERDATA, m_handle.get()), "CURLOPT_HEADERDATA");

    const TlsSettings& tls = m_settings.tls;
    // Turning verification off exists for test labs with throw-away certificates only.
    check(curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, tls.verifyPeer ? 1L : 0L),
          "CURLOPT_SSL_VERIFYPEER");
    check(curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, tls.verifyPeer ? 2L : 0L),
          "CURLOPT_SSL_VERIFYHOST");
    if (!tls.caFile.empty()) {
        check(curl_easy_setopt(easy, CURLOPT_CAINFO, tls.caFile.c_str()), "CURLOPT_CAINFO");
    }
    if (!tls.certFile.empty()) {
        check(curl_easy_setopt(easy, CURLOPT_SSLCERT, tls.certFile.c_str()), "CURLOPT_SSLCERT");
        check(curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM"), "CURLOPT_SSLCERTTYPE");
    }
    if (!tls.keyFile.empty()) {
        check(curl_easy_setopt(easy, CURLOPT_SSLKEY, tls.keyFile.c_str()), "CURLOPT_SSLKEY");
    }
    if (!tls.keyPassword.empty()) {
        check(curl_easy_setopt(easy, CURLOPT_KEYPASSWD, tls.keyPassword.c_str()),
              "CURLOPT_KEYPASSWD");
    }
}

CurlTransport::~CurlTransport() = default;

TransportResult CurlTransport::send(const HttpRequest& request) {
    CURL* easy = m_handle->easy.get();
    m_handle->response = HttpResponse{};
    m_handle->errorText[0] = '\0';

    HeaderList headers;
    for (const auto& [name, value] : request.headers) {
        appendHeader(headers, name + ": " + value);
    }
    // Without this curl waits for "100 Continue" before sending larger bodies, a round trip that
    // some servers never answer.
    appendHeader(headers, "Expect:");

    TransportResult result;
    FileHandle bodyFile;
    curl_off_t fileSize = 0;
    if (!request.bodyFile.empty()) {
        bodyFile.reset(std::fopen(request.bodyFile.c_str(), "rb"));
        std::error_code sizeError;
        fileSize = static_cast<curl_off_t>(std::filesystem::file_size(request.bodyFile, sizeError));
        if (!bodyFile || sizeError) {
            result.failure = TransportResult::Failure::Other;
            result.failureText = "cannot read body file " + request.bodyFile.string();
            return result;
        }
    }
    const bool get = request.method == "GET";
    const auto setUp = [&]() -> CURLcode {
        CURLcode code = curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
        if (code == CURLE_OK) {
            code = get ? curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L)
                       : curl_easy_setopt(easy, CURLOPT_POST, 1L);
        }
        if (code == CURLE_OK) {
            // POST is curl's own after CURLOPT_POST; anything else (PUT) is named explicitly.
            code = curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST,
                                    get || request.method == "POST" ? nullptr
                                                                    : request.method.c_str());
        }
        if (code == CURLE_OK) {
            code = curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());
        }
        // A fresh connection is never silently resent on (HttpRequest::freshConnection), so a
        // connect failure really means nothing left.
        const long fresh = request.freshConnection ? 1L : 0L;
        if (code == CURLE_OK) {
            code = curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, fresh);
        }
        if (code == CURLE_OK) {
            code = curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, fresh);
        }
        if (get) {
            return code;
        }
        if (bodyFile) {
            // Streamed from the file: a 5 MB fragment never needs a second copy in memory.
            if (code == CURLE_OK) {
                code = curl_easy_setopt(easy, CURLOPT_POSTFIELDS, nullptr);
            }
            if (code == CURLE_OK) {
                code = curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, fileSize);
            }
            if (code == CURLE_OK) {
                code = curl_easy_setopt(easy, CURLOPT_READFUNCTION, &readFromFile);
            }
            if (code == CURLE_OK) {
                code = curl_easy_setopt(easy, CURLOPT_READDATA, bodyFile.get());
            }
            // Larger pieces than curl's 64 KB default: a 5 MB body in 20 reads and sends.
            if (code == CURLE_OK) {
                code = curl_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBufferBytes);
            }
            return code;
        }
        // The size is given explicitly so that bodies with NUL bytes go out whole; curl reads
        // the caller's buffer without copying it, which `request` keeps alive until we return.
        if (code == CURLE_OK) {
            code = curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                                    static_cast<curl_off_t>(request.body.size()));
        }
        if (code == CURLE_OK) {
            code = curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
        }
        return code;
    };

    CURLcode code = setUp();
    if (code == CURLE_OK) {
        code = curl_easy_perform(easy);
    }
    // The handle must not keep pointing at this call's header list or file once they are freed.
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(easy, CURLOPT_READDATA, nullptr);

    if (code != CURLE_OK) {
        result.failure = failureFor(code);
        result.failureText =
            m_handle->errorText[0] != '\0' ? m_handle->errorText : curl_easy_strerror(code);
        return result;
    }
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    m_handle->response.status = static_cast<int>(status);
    result.response = std::move(m_handle->response);
    m_handle->response = HttpResponse{};
    return result;
}

void initialiseCurlGlobally() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            throw std::runtime_error("curl_global_init failed");
        }
    });
}

} // namespace gp::agent
