#pragma once

// Test doubles and request builders for spine-mock's tests. tests/support/TestDoubles.hpp's
// ManualClock is built on the agent's Clock, which spine-mock must not depend on, hence this one.

#include "SeededRandom.hpp"

#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/eps/ParentPrescription.hpp>
#include <gp/messaging/gp2gp/Gp2gp.hpp>
#include <gp/mock/Clock.hpp>
#include <gp/mock/Gp2gpInteractions.hpp>
#include <gp/mock/MockConfig.hpp>
#include <gp/mock/MockExchange.hpp>
#include <gp/mock/Practice.hpp>
#include <gp/mock/Waiter.hpp>

#include <Poco/File.h>
#include <Poco/TemporaryFile.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

namespace gp::mock::test {

class ManualClock final : public Clock {
public:
    // 2026-03-15T06:51:08Z
    explicit ManualClock(long long epochMillis = 1'773'557'468'000) : m_millis(epochMillis) {}
    TimePoint now() const override { return TimePoint(std::chrono::milliseconds(m_millis.load())); }
    void advance(std::chrono::milliseconds by) { m_millis += by.count(); }

private:
    std::atomic<long long> m_millis;
};

// The shared seeded source, under the name the spine-mock tests already use.
using gp::test::SeededRandom;

/// Records every wait and returns at once, so fault tests never sleep.
class RecordingWaiter final : public Waiter {
public:
    bool waitFor(std::chrono::milliseconds duration) override {
        waits.push_back(duration);
        return true;
    }
    std::vector<std::chrono::milliseconds> waits;
};

/// A fresh directory under the system temp dir, removed with its contents afterwards.
class TempDir {
public:
    TempDir() : m_path(Poco::TemporaryFile::tempName()) { Poco::File(m_path).createDirectories(); }
    ~TempDir() {
        try {
            Poco::File(m_path).remove(true);
        } catch (...) {
        }
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

inline constexpr const char* kSenderPartyKey = "A91424-9199121";
inline constexpr const char* kValidPrescriptionId = "24F5DA-A83008-7EFE6Z";
inline constexpr const char* kOtherValidPrescriptionId = "0DA698-A83008-F50593";
inline constexpr const char* kValidNhsNumber = "9434765919";

inline MockConfig testConfig(const std::string& stateDir) {
    MockConfig config;
    config.stateDir = stateDir;
    return config;
}

/// What a well-formed ParentPrescription request looks like; tests change one field at a time.
struct RequestSpec {
    std::string messageId = "3C5B1E2A-8F4D-4E6B-9A1C-2D3E4F5A6B7C";
    std::string prescriptionId = kValidPrescriptionId;
    std::string nhsNumber = kValidNhsNumber;
    int items = 1;
    std::string cpaId = "S20001A000100";
    std::string toPartyId = "YES-0000806";
    std::string service = "urn:nhs:names:services:mm";
    std::string action = "PORX_IN020101SM31";
    std::string soapAction; // empty: derived from service and action
};

inline messaging::eps::ParentPrescription prescription(const RequestSpec& spec) {
    messaging::eps::ParentPrescription p;
    p.prescriptionId = spec.prescriptionId;
    p.prescriptionUuid = "A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D";
    p.patient = {spec.nhsNumber, "SMITH", "JANE", "1970-01-01", "female", "LS1 1AA"};
    p.prescriber = {"A83008", "555086689106", "555086718101", "DR A PRESCRIBER", "G1234567"};
    p.organisation = {"A83008", "TEST PRACTICE"};
    p.authoredOn = std::chrono::sys_seconds(std::chrono::seconds(1'773'557'468));
    for (int i = 0; i < spec.items; ++i) {
        messaging::eps::LineItem item;
        item.itemId = "B1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5" + std::to_string(i);
        item.dmdCode = "322237000";
        item.description = "Paracetamol 500mg tablets";
        item.quantity = "32";
        item.unitDmdCode = "428673006";
        item.unit = "tablet";
        item.dosage = "Two tablets four times a day";
        p.items.push_back(item);
    }
    return p;
}

inline MockRequest eprRequest(const RequestSpec& spec = {}) {
    messaging::ebxml::Message message;
    auto& header = message.header;
    header.fromPartyId = kSenderPartyKey;
    header.toPartyId = spec.toPartyId;
    header.cpaId = spec.cpaId;
    header.conversationId = "7D1E2F3A-4B5C-4D6E-8F70-81929AA3B4C5";
    header.service = spec.service;
    header.action = spec.action;
    header.messageId = spec.messageId;
    header.timestamp = std::chrono::sys_seconds(std::chrono::seconds(1'773'557'468));
    header.duplicateElimination = true;
    header.ackRequested = messaging::ebxml::AckRequested::ToPartyMsh;
    header.syncReply = true;
    message.payload = messaging::eps::buildParentPrescription(
        prescription(spec), {spec.messageId, header.timestamp, "200000000359", "990101234567"});
    const auto body = messaging::ebxml::buildMessage(message);

    MockRequest request;
    request.method = "POST";
    request.path = "/reliablemessaging/reliablerequest";
    request.headers = {{"Content-Type", body.contentType},
                       {"SOAPAction", spec.soapAction.empty() ? spec.service + "/" + spec.action
                                                              : spec.soapAction}};
    request.body = body.body;
    return request;
}

// Two practices for GP2GP tests: A asks B for a record, B sends it.
inline constexpr const char* kPracticeA = "A83008";
inline constexpr const char* kPartyKeyA = "A83008-9199121";
inline constexpr const char* kAsidA = "200000001234";
inline constexpr const char* kPracticeB = "B82001";
inline constexpr const char* kPartyKeyB = "B82001-1234567";
inline constexpr const char* kAsidB = "200000005678";

inline Practice practiceA(const std::string& inboundUrl = "http://127.0.0.1:1/inbound") {
    return {kPracticeA, kPartyKeyA, kAsidA, inboundUrl};
}
inline Practice practiceB(const std::string& inboundUrl = "http://127.0.0.1:1/inbound") {
    return {kPracticeB, kPartyKeyB, kAsidB, inboundUrl};
}

/// A well-formed forward-reliable GP2GP message from A to B; tests change one field at a time.
struct Gp2gpSpec {
    std::string messageId = "5F0D3C2B-1A2B-4C3D-8E4F-5A6B7C8D9E0F";
    std::string conversationId = "0B1C2D3E-4F50-4617-8293-A4B5C6D7E8F9";
    std::string action = std::string(messaging::gp2gp::kCommon);
    std::string service = std::string(messaging::gp2gp::kService);
    std::string fromPartyId = kPartyKeyA;
    std::string toPartyId = kPartyKeyB;
    std::string cpaId; // empty: the directory's CPA id for the action
    messaging::ebxml::AckRequested ackRequested = messaging::ebxml::AckRequested::NextMsh;
    std::string payload = "<COPC_IN000001UK01 xmlns=\"urn:hl7-org:v3\"><id root=\"3D2C1B0A\"/>"
                          "</COPC_IN000001UK01>";
};

inline MockRequest gp2gpRequest(const Gp2gpSpec& spec = {}) {
    messaging::ebxml::Message message;
    auto& header = message.header;
    header.fromPartyId = spec.fromPartyId;
    header.toPartyId = spec.toPartyId;
    const auto* known = findGp2gpInteraction(spec.action);
    header.cpaId = !spec.cpaId.empty() ? spec.cpaId
                   : known != nullptr  ? std::string(known->cpaId)
                                       : "S20001A000100";
    header.conversationId = spec.conversationId;
    header.service = spec.service;
    header.action = spec.action;
    header.messageId = spec.messageId;
    header.timestamp = std::chrono::sys_seconds(std::chrono::seconds(1'773'557'468));
    header.duplicateElimination = true;
    header.ackRequested = spec.ackRequested;
    header.syncReply = false;
    message.payload = spec.payload;
    const auto body = messaging::ebxml::buildMessage(message);

    MockRequest request;
    request.method = "POST";
    request.path = "/reliablemessaging/forwardreliable";
    request.headers = {{"Content-Type", body.contentType}, {"SOAPAction", body.soapAction}};
    request.body = body.body;
    return request;
}

} // namespace gp::mock::test
