#include "InboundEndpoint.hpp"

#include "../api/HttpReplies.hpp"
#include "../transport/QuietHttpServer.hpp"
#include "../transport/TlsServerContext.hpp"
#include "MappedFile.hpp"
#include "PersistDurations.hpp"
#include "SpoolFile.hpp"

#include <gp/agent/store/Store.hpp>
#include <gp/messaging/ebxml/Envelope.hpp>
#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/ids/Identifiers.hpp>
#include <gp/messaging/ids/RandomSource.hpp>

#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <istream>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace gp::agent {

namespace ebxml = messaging::ebxml;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

struct InboundEndpoint::Context {
    Settings settings;
    Store& store;
    const Clock& clock;
    messaging::ids::RandomSource& random;
    std::function<void()> onAdmitted;
    std::mutex randomMutex;
    std::set<std::string, std::less<>> ourParties; // settings.localPartyKeys, to look up

    bool isOurs(std::string_view partyKey) const { return ourParties.count(partyKey) > 0; }

    std::string newId() {
        std::lock_guard lock(randomMutex);
        return messaging::ids::newUuid(random);
    }
};

namespace {

constexpr std::string_view kXml = "text/xml";
constexpr std::size_t kChunkBytes = 64 * 1024;
// After refusing a body as too large, up to this much more is read and dropped so that the sender
// sees the 413 rather than a connection reset; beyond it the connection is simply closed.
constexpr std::int64_t kDrainLimit = 8 * 1024 * 1024;

Poco::Logger& logger() {
    return Poco::Logger::get("inbound");
}

std::chrono::sys_seconds toSeconds(TimePoint time) {
    return std::chrono::floor<std::chrono::seconds>(time);
}

/// The MessageId names the body file, so it must be a plain UUID (either case), nothing a path
/// could be made of.
bool isUuid(std::string_view text) {
    if (text.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool hyphen = i == 8 || i == 13 || i == 18 || i == 23;
        if (hyphen ? text[i] != '-' : std::isxdigit(static_cast<unsigned char>(text[i])) == 0) {
            return false;
        }
    }
    return true;
}

void answer(HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
            std::string_view contentType, const std::string& body) {
    response.setStatus(status);
    response.setContentType(std::string(contentType));
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.send() << body;
}

/// Reads and drops what is left of a body, up to `limit` bytes. True when it all was read.
bool drain(std::istream& in, std::int64_t limit) {
    char buffer[kChunkBytes];
    std::int64_t dropped = 0;
    while (dropped <= limit) {
        in.read(buffer, sizeof buffer);
        const std::streamsize got = in.gcount();
        if (got <= 0) {
            return true;
        }
        dropped += got;
    }
    return false;
}

class InboundHandler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit InboundHandler(InboundEndpoint::Context& context) : m_context(context) {}

    void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
        // Poco writes a response's header and body separately; without TCP_NODELAY the body
        // waits for the sender's delayed ACK on every kept-alive exchange.
        if (auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request)) {
            impl->socket().setNoDelay(true);
        }
        try {
            route(request, response);
        } catch (const std::exception& e) {
            logger().error("request %s %s failed: %s", request.getMethod(), request.getURI(),
                           std::string(e.what()));
            if (!response.sent()) {
                retryLater(response);
            }
        }
    }

private:
    void route(HTTPServerRequest& request, HTTPServerResponse& response) {
        const std::string path = request.getURI().substr(0, request.getURI().find('?'));
        if (path == "/healthz") {
            answer(response, HTTPResponse::HTTP_OK, "application/json", R"({"status":"ok"})");
        } else if (path != "/inbound" && path != "/") {
            drain(request.stream(), kDrainLimit);
            answer(response, HTTPResponse::HTTP_NOT_FOUND, "text/plain", "no such endpoint\n");
        } else if (request.getMethod() != "POST") {
            response.set("Allow", "POST");
            answer(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "text/plain",
                   "POST ebXML messages here\n");
        } else {
            receive(request, response);
        }
    }

    void receive(HTTPServerRequest& request, HTTPServerResponse& response) {
        const std::int64_t limit = static_cast<std::int64_t>(m_context.settings.maxBodyBytes);
        if (request.hasContentLength() && request.getContentLength64() > limit) {
            tooLarge(request, response, request.getContentLength64());
            return;
        }
        SpoolFile spool(m_context.settings.inboxDir / (".incoming-" + m_context.newId() + ".tmp"));
        if (const Status opened = spool.open(); !opened) {
            storageFailed(request, response, opened.error(), "");
            return;
        }
        std::istream& in = request.stream();
        char buffer[kChunkBytes];
        for (;;) {
            in.read(buffer, sizeof buffer);
            const std::streamsize got = in.gcount();
            if (got <= 0) {
                break;
            }
            if (spool.size() + got > limit) {
                tooLarge(request, response, -1); // the spool file goes with `spool`
                return;
            }
            if (const Status written = spool.append(buffer, static_cast<std::size_t>(got));
                !written) {
                storageFailed(request, response, written.error(), "");
                return;
            }
        }
        if (const Status finished = spool.finish(); !finished) {
            storageFailed(request, response, finished.error(), "");
            return;
        }

        std::optional<ebxml::MessageHeader> header = readHeader(request, response, spool);
        if (!header) {
            return;
        }
        admit(request, response, *header, spool);
    }

    /// Parses the spooled body in place and checks it is for us; answers the sender and returns
    /// nothing when it is not acceptable.
    std::optional<ebxml::MessageHeader>
    readHeader(HTTPServerRequest& request, HTTPServerResponse& response, const SpoolFile& spool) {
        MappedFile mapped;
        if (const Status opened = mapped.open(spool.path()); !opened) {
            storageFailed(request, response, opened.error(), "");
            return std::nullopt;
        }
        Result<ebxml::Message> parsed =
            ebxml::parseMessage(request.getContentType(), mapped.bytes());
        if (!parsed) {
            const Error& error = parsed.error();
            const bool mime = error.where == "Content-Type" ||
                              error.where.find("MIME") != std::string::npos ||
                              error.where.find("part") != std::string::npos;
            logger().warning("refused a message that could not be read (%s)", error.where);
            messageError(response, ebxml::MessageHeader{}, mime ? "MimeProblem" : "OtherXml",
                         error.describe());
            return std::nullopt;
        }
        ebxml::MessageHeader header = std::move(parsed->header);
        if (!isUuid(header.messageId)) {
            logger().warning("refused a message whose MessageId is not a UUID");
            messageError(response, header, "Inconsistent",
                         "eb:MessageData/eb:MessageId: is not a UUID");
            return std::nullopt;
        }
        if (!m_context.isOurs(header.toPartyId)) {
            logger().warning("refused message %s from %s: To party %s is not ours",
                             header.messageId, header.fromPartyId, header.toPartyId);
            messageError(response, header, "ValueNotRecognized", "Unknown To party");
            return std::nullopt;
        }
        return header;
    }

    void admit(HTTPServerRequest& request, HTTPServerResponse& response,
               const ebxml::MessageHeader& header, SpoolFile& spool) {
        const TimePoint now = m_context.clock.now();
        const std::string ackId = m_context.newId();

        InboundMessage message;
        message.messageId = header.messageId;
        message.conversationId = header.conversationId;
        message.service = header.service;
        message.interaction = header.action;
        message.fromPartyId = header.fromPartyId;
        message.refToMessageId = header.refToMessageId;
        message.contentType = request.getContentType();
        message.bodyBytes = spool.size();
        message.receivedAt = now;
        message.keepUntil = now + inboundPersistDuration(header.action);
        message.ackStatus = HTTPResponse::HTTP_ACCEPTED;
        message.ackContentType = kXml;
        // Acknowledged as the practice it was addressed to (readHeader checked it is ours).
        message.ackBody = ebxml::buildAcknowledgment(ebxml::AcknowledgmentSpec{
            header.toPartyId, header.fromPartyId, header.cpaId, header.conversationId, ackId,
            header.messageId, toSeconds(now)});

        const std::filesystem::path& dir = m_context.settings.inboxDir;
        if (const Status named = spool.publish(dir / (header.messageId + ".msg"),
                                               dir / (header.messageId + "." + ackId + ".msg"));
            !named) {
            storageFailed(request, response, named.error(), header.messageId);
            return;
        }
        message.bodyFile = spool.path();

        const AuditEvent event{"inbound", "received", header.messageId,
                               "interaction " + header.action + " from party " +
                                   header.fromPartyId + ", " + std::to_string(spool.size()) +
                                   " bytes"};
        const Result<InboundAdmission> admitted = m_context.store.admitInbound(message, event);
        if (!admitted) {
            storageFailed(request, response, admitted.error(), header.messageId);
            return;
        }
        if (admitted->duplicate && admitted->original) {
            // Our copy is dropped with `spool`; the sender gets what it got the first time.
            const InboundMessage& original = admitted->original->message;
            logger().information("duplicate %s %s answered with its original acknowledgement",
                                 header.action, header.messageId);
            answer(response, static_cast<HTTPResponse::HTTPStatus>(original.ackStatus),
                   original.ackContentType, original.ackBody);
            return;
        }
        spool.keep();
        logger().information("received %s %s (conversation %s, %s bytes)", header.action,
                             header.messageId, header.conversationId,
                             std::to_string(message.bodyBytes));
        answer(response, HTTPResponse::HTTP_ACCEPTED, kXml, message.ackBody);
        try {
            if (m_context.onAdmitted) {
                m_context.onAdmitted();
            }
        } catch (const std::exception& e) {
            logger().error("waking the workflow after %s failed: %s", header.messageId,
                           std::string(e.what()));
        }
    }

    void messageError(HTTPServerResponse& response, const ebxml::MessageHeader& about,
                      const std::string& code, const std::string& description) {
        ebxml::MessageErrorSpec spec;
        // From the party it was sent to when that is ours, else from our default practice.
        const std::vector<std::string>& ours = m_context.settings.localPartyKeys;
        const std::string& from =
            m_context.isOurs(about.toPartyId) || ours.empty() ? about.toPartyId : ours.front();
        spec.header = ebxml::AcknowledgmentSpec{from,
                                                about.fromPartyId,
                                                about.cpaId,
                                                about.conversationId,
                                                m_context.newId(),
                                                about.messageId,
                                                toSeconds(m_context.clock.now())};
        ebxml::ErrorListItem item;
        item.errorCode = code;
        item.description = description;
        spec.errors.push_back(std::move(item));
        answer(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, kXml,
               ebxml::buildMessageError(spec));
    }

    void tooLarge(HTTPServerRequest& request, HTTPServerResponse& response, std::int64_t declared) {
        logger().warning("refused a body over %s bytes",
                         std::to_string(m_context.settings.maxBodyBytes));
        const bool drained =
            (declared < 0 ||
             declared <=
                 static_cast<std::int64_t>(m_context.settings.maxBodyBytes) + kDrainLimit) &&
            drain(request.stream(), kDrainLimit);
        if (!drained) {
            response.setKeepAlive(false);
        }
        answer(response, HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE, "text/plain",
               "the body is larger than " + std::to_string(m_context.settings.maxBodyBytes) +
                   " bytes\n");
    }

    /// A failure of ours (disk, store): SOAP fault code 200, which the sender retries, under the
    /// local API's status for work not stored (507 disk full, 503 otherwise), naming the store.
    void storageFailed(HTTPServerRequest& request, HTTPServerResponse& response, const Error& error,
                       const std::string& messageId) {
        logger().error("could not store message %s: %s", messageId.empty() ? "(unread)" : messageId,
                       error.describe());
        drain(request.stream(), kDrainLimit);
        std::string why;
        if (const auto fault = storageFaultOf(error)) {
            why = *fault == StorageFault::Full ? "; the receiver's store is full"
                                               : "; the receiver's store cannot write";
        }
        retryLater(response, api::notStoredStatus(error), why);
    }

    void retryLater(HTTPServerResponse& response,
                    HTTPResponse::HTTPStatus status = HTTPResponse::HTTP_INTERNAL_SERVER_ERROR,
                    const std::string& why = "") {
        ebxml::SoapFaultSpec fault;
        ebxml::ErrorListItem item;
        item.errorCode = "200";
        item.description = "System failure to process message - default" + why;
        item.codeContext = "urn:nhs:names:error:tms";
        fault.errors.push_back(std::move(item));
        answer(response, status, kXml, ebxml::buildSoapFault(fault));
    }

    InboundEndpoint::Context& m_context;
};

class InboundFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit InboundFactory(InboundEndpoint::Context& context) : m_context(context) {}

    Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
        return new InboundHandler(m_context);
    }

private:
    InboundEndpoint::Context& m_context;
};

} // namespace

InboundEndpoint::InboundEndpoint(Settings settings, Store& store, const Clock& clock,
                                 messaging::ids::RandomSource& random,
                                 std::function<void()> onAdmitted)
    : m_context(
          new Context{std::move(settings), store, clock, random, std::move(onAdmitted), {}, {}}) {
    m_context->ourParties.insert(m_context->settings.localPartyKeys.begin(),
                                 m_context->settings.localPartyKeys.end());
}

InboundEndpoint::~InboundEndpoint() {
    stop();
}

void InboundEndpoint::start() {
    const std::filesystem::path& dir = m_context->settings.inboxDir;
    std::filesystem::create_directories(dir);
    // Bodies still being received when a previous process died were never acknowledged: their
    // senders will retry them.
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(".incoming-", 0) == 0) {
            std::error_code ignored;
            std::filesystem::remove(entry.path(), ignored);
        }
    }
    Poco::Net::ServerSocket socket =
        listenOn(m_context->settings.bind, m_context->settings.port, m_context->settings.tls);
    m_port = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(std::max(1, m_context->settings.maxThreads));
    m_server = std::make_unique<QuietHttpServer>(new InboundFactory(*m_context), socket, params,
                                                 "inbound");
    m_server->start();
}

void InboundEndpoint::stop() {
    if (m_server) {
        m_server->stop();
        m_server.reset();
    }
}

} // namespace gp::agent
