#include "EpsRequests.hpp"

#include "HttpWire.hpp"
#include "ProcessHarness.hpp"
#include "SeededRandom.hpp"

#include <gp/agent/eps/PrescriptionRequest.hpp>
#include <gp/messaging/eps/ParentPrescription.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace gp::bench {

namespace {

namespace eps = messaging::eps;
namespace ids = messaging::ids;

std::string postRequest(int port, const std::string& path, const std::string& headers,
                        const std::string& body) {
    return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
           "\r\nContent-Type: application/json\r\n" + headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class LocalApiPrescriptions final : public RequestStream {
public:
    LocalApiPrescriptions(int port, const std::string& token)
        : m_request(postRequest(port, "/v1/eps/prescriptions",
                                "Authorization: Bearer " + token + "\r\n",
                                test::prescriptionJson())) {}

    const std::string& requestTemplate() const override { return m_request; }
    void prepare(std::string&, std::uint64_t) const override {} // the agent makes the ids

    std::string_view acceptedId(std::string_view, std::string_view body) const override {
        // {"messageId": "…", …}: read without a JSON parser, which would cost more than the
        // rest of the generator's work for the reply.
        const std::string_view key = "\"messageId\"";
        const std::size_t at = body.find(key);
        if (at == std::string_view::npos) {
            return {};
        }
        const std::size_t open = body.find('"', at + key.size());
        if (open == std::string_view::npos || open + 37 > body.size()) {
            return {};
        }
        return body.substr(open + 1, 36);
    }

private:
    std::string m_request;
};

std::string jsonString(const std::string& text) {
    std::string quoted = "\"";
    for (const char c : text) {
        switch (c) {
        case '"':
            quoted += "\\\"";
            break;
        case '\\':
            quoted += "\\\\";
            break;
        case '\n':
            quoted += "\\n";
            break;
        case '\r':
            quoted += "\\r";
            break;
        case '\t':
            quoted += "\\t";
            break;
        default:
            quoted += c;
        }
    }
    return quoted + "\"";
}

/// Every offset at which `needle` occurs in `text`.
std::vector<std::size_t> offsetsOf(const std::string& text, const std::string& needle) {
    std::vector<std::size_t> offsets;
    for (std::size_t at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + needle.size())) {
        offsets.push_back(at);
    }
    return offsets;
}

class MhsFrontPrescriptions final : public RequestStream {
public:
    explicit MhsFrontPrescriptions(int port) {
        // Placeholders that cannot occur by chance in the rest of the request; every copy of
        // each is overwritten, with text of the same length, for each request.
        const std::string messageId = uuid(kMessageTag, 0xFFFFFFFFFFFF).str();
        const std::string correlationId = uuid(kCorrelationTag, 0xFFFFFFFFFFFF).str();
        const std::string prescriptionId = prescriptionIdFor(0xFFFFFFFFFFF).str();
        m_request =
            postRequest(port, "/",
                        "Interaction-Id: PORX_IN020101SM31\r\n"
                        "wait-for-response: false\r\n"
                        "Message-Id: " +
                            messageId + "\r\nCorrelation-Id: " + correlationId + "\r\n",
                        "{\"payload\": " + jsonString(hl7(messageId, prescriptionId)) + "}");
        m_messageIdAt = offsetsOf(m_request, messageId);
        m_correlationIdAt = offsetsOf(m_request, correlationId);
        m_prescriptionIdAt = offsetsOf(m_request, prescriptionId);
        if (m_messageIdAt.size() < 2 || m_correlationIdAt.empty() || m_prescriptionIdAt.empty()) {
            throw std::logic_error("MHS request template: an id placeholder is missing");
        }
    }

    const std::string& requestTemplate() const override { return m_request; }

    void prepare(std::string& request, std::uint64_t index) const override {
        patch(request, m_messageIdAt, uuid(kMessageTag, index));
        patch(request, m_correlationIdAt, uuid(kCorrelationTag, index));
        patch(request, m_prescriptionIdAt, prescriptionIdFor(index));
    }

    std::string_view acceptedId(std::string_view head, std::string_view) const override {
        return headerValue(head, "Message-Id");
    }

private:
    static constexpr unsigned kMessageTag = 0xBE4C0001;
    static constexpr unsigned kCorrelationTag = 0xBE4C0002;

    /// Fixed-size text made without touching the heap: prepare() runs once per request.
    struct Id {
        char text[40];
        std::size_t size;
        std::string_view view() const { return {text, size}; }
        std::string str() const { return std::string(view()); }
    };

    /// A version-4-shaped upper-case UUID that carries `index`; distinct per tag and index.
    static Id uuid(unsigned tag, std::uint64_t index) {
        Id id{};
        const int n = std::snprintf(id.text, sizeof id.text, "%08X-0000-4000-8000-%012llX", tag,
                                    static_cast<unsigned long long>(index & 0xFFFFFFFFFFFFULL));
        id.size = static_cast<std::size_t>(n);
        return id;
    }

    /// 6 hex, the prescriber's ODS code, 5 hex, check character: 44 bits of `index`.
    static Id prescriptionIdFor(std::uint64_t index) {
        Id id{};
        const int n = std::snprintf(id.text, sizeof id.text, "%06llX-A83008-%05llX",
                                    static_cast<unsigned long long>((index >> 20) & 0xFFFFFF),
                                    static_cast<unsigned long long>(index & 0xFFFFF));
        id.size = static_cast<std::size_t>(n);
        id.text[id.size] = ids::prescriptionCheckCharacter(id.view());
        ++id.size;
        return id;
    }

    static void patch(std::string& request, const std::vector<std::size_t>& offsets,
                      const Id& value) {
        for (const std::size_t at : offsets) {
            request.replace(at, value.size, value.text, value.size);
        }
    }

    /// A ParentPrescription as a clinical system built for the MHS adaptor would send it.
    static std::string hl7(const std::string& messageId, const std::string& prescriptionId) {
        test::SeededRandom random(7);
        auto request = agent::readPrescriptionRequest(test::prescriptionJson());
        if (!request.errors.empty()) {
            throw std::logic_error("the harness's prescription no longer reads");
        }
        auto& prescription = request.prescription;
        prescription.organisation.odsCode = "A83008";
        prescription.prescriptionId = prescriptionId;
        prescription.prescriptionUuid = ids::newUuid(random);
        for (auto& item : prescription.items) {
            item.itemId = ids::newUuid(random);
        }
        const auto now =
            std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
        prescription.authoredOn = now;
        if (!eps::validate(prescription).empty()) {
            throw std::logic_error("the benchmark's prescription does not validate");
        }
        return eps::buildParentPrescription(prescription,
                                            {messageId, now, "200000001234", "990000000000"});
    }

    std::string m_request;
    std::vector<std::size_t> m_messageIdAt;
    std::vector<std::size_t> m_correlationIdAt;
    std::vector<std::size_t> m_prescriptionIdAt;
};

} // namespace

std::unique_ptr<RequestStream> localApiPrescriptions(int port, const std::string& token) {
    return std::make_unique<LocalApiPrescriptions>(port, token);
}

std::unique_ptr<RequestStream> mhsFrontPrescriptions(int port) {
    return std::make_unique<MhsFrontPrescriptions>(port);
}

} // namespace gp::bench
