#pragma once

// A practice's MHS inbound endpoint for the forwarder's tests: a real Poco HTTPServer on
// 127.0.0.1 port 0 that records what it is sent and answers as told (by default 202 with an
// ebXML Acknowledgment of the received MessageId).

#include <gp/messaging/ebxml/Envelope.hpp>
#include <gp/messaging/ebxml/Message.hpp>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gp::mock::test {

class PracticeStub {
public:
    struct Delivery {
        std::string messageId; // read from the envelope; empty if it could not be parsed
        std::string contentType;
        std::string soapAction;
        std::string body;
    };

    PracticeStub() : m_state(std::make_shared<State>()) {
        Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
        m_port = socket.address().port();
        m_server = std::make_unique<Poco::Net::HTTPServer>(new Factory(m_state), socket,
                                                           new Poco::Net::HTTPServerParams);
        m_server->start();
    }
    ~PracticeStub() { m_server->stopAll(true); }
    PracticeStub(const PracticeStub&) = delete;
    PracticeStub& operator=(const PracticeStub&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port) + "/inbound"; }

    /// The statuses of the next answers, in order (with a short text body); after them, 202s.
    void answerNext(std::vector<int> statuses) {
        std::lock_guard lock(m_state->mutex);
        m_state->statuses.insert(m_state->statuses.end(), statuses.begin(), statuses.end());
    }
    /// Every later request gets this status.
    void answerAlways(int status) {
        std::lock_guard lock(m_state->mutex);
        m_state->always = status;
    }

    std::vector<Delivery> deliveries() const {
        std::lock_guard lock(m_state->mutex);
        return m_state->deliveries;
    }
    std::vector<std::string> messageIds() const {
        std::vector<std::string> ids;
        for (const auto& delivery : deliveries()) {
            ids.push_back(delivery.messageId);
        }
        return ids;
    }

    /// Waits until at least `count` requests arrived; false after `timeout`.
    bool waitFor(std::size_t count, std::chrono::seconds timeout = std::chrono::seconds(20)) {
        std::unique_lock lock(m_state->mutex);
        return m_state->changed.wait_for(lock, timeout,
                                         [&] { return m_state->deliveries.size() >= count; });
    }

private:
    struct State {
        mutable std::mutex mutex;
        std::condition_variable changed;
        std::vector<Delivery> deliveries;
        std::deque<int> statuses;
        int always = 0;
    };

    class Handler final : public Poco::Net::HTTPRequestHandler {
    public:
        explicit Handler(std::shared_ptr<State> state) : m_state(std::move(state)) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) override {
            Delivery delivery;
            delivery.contentType = request.getContentType();
            delivery.soapAction = request.get("SOAPAction", "");
            Poco::StreamCopier::copyToString(request.stream(), delivery.body);
            const auto message =
                messaging::ebxml::parseMessage(delivery.contentType, delivery.body);
            if (message) {
                delivery.messageId = message->header.messageId;
            }
            int status = 202;
            {
                std::lock_guard lock(m_state->mutex);
                if (!m_state->statuses.empty()) {
                    status = m_state->statuses.front();
                    m_state->statuses.pop_front();
                } else if (m_state->always != 0) {
                    status = m_state->always;
                }
                m_state->deliveries.push_back(delivery);
            }
            m_state->changed.notify_all();

            std::string body = "practice stub says " + std::to_string(status) + "\n";
            std::string type = "text/plain";
            if (status == 202 && message) {
                messaging::ebxml::AcknowledgmentSpec ack;
                ack.fromPartyId = message->header.toPartyId;
                ack.toPartyId = message->header.fromPartyId;
                ack.cpaId = message->header.cpaId;
                ack.conversationId = message->header.conversationId;
                ack.messageId = "9E8D7C6B-5A4F-4E3D-8C2B-1A0F9E8D7C6B";
                ack.refToMessageId = message->header.messageId;
                ack.timestamp = message->header.timestamp;
                body = messaging::ebxml::buildAcknowledgment(ack);
                type = "text/xml";
            }
            response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
            response.setContentType(type);
            response.setContentLength(static_cast<std::streamsize>(body.size()));
            response.sendBuffer(body.data(), body.size());
        }

    private:
        std::shared_ptr<State> m_state;
    };

    class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
    public:
        explicit Factory(std::shared_ptr<State> state) : m_state(std::move(state)) {}
        Poco::Net::HTTPRequestHandler*
        createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
            return new Handler(m_state);
        }

    private:
        std::shared_ptr<State> m_state;
    };

    std::shared_ptr<State> m_state;
    std::uint16_t m_port = 0;
    std::unique_ptr<Poco::Net::HTTPServer> m_server;
};

} // namespace gp::mock::test
