#include "ChaosTraffic.hpp"

#include <gp/agent/Files.hpp>

#include <cstdio>
#include <fstream>

namespace gp::chaos {

namespace fs = std::filesystem;

namespace {

std::string prescriptionJson(const std::string& lineItemId) {
    return R"({"patient": {"nhsNumber": "9449304130", "family": "SMITH", "given": "JANE",
                 "birthDate": "1980-04-01", "gender": "female", "postcode": "LS1 6AE"},
    "prescriber": {"odsCode": "A83008", "sdsUserId": "555086689106",
                   "sdsRoleProfileId": "555086718101", "name": "DR A JONES",
                   "professionalCode": "G1234567"},
    "treatmentType": "acute", "dispensingSitePreference": "P1", "nominatedPharmacy": "FCG71",
    "items": [{"itemId": ")" +
           lineItemId + R"(", "dmdCode": "39732311000001104",
               "description": "Amoxicillin 250mg capsules", "quantity": 21,
               "unitDmdCode": "428673006", "unit": "capsule",
               "dosage": "One capsule three times a day"}]})";
}

void writeRecord(const fs::path& folder, const std::string& nhsNumber,
                 const std::vector<SourceDocument>& documents) {
    fs::create_directories(folder);
    std::string attachments;
    for (std::size_t i = 0; i < documents.size(); ++i) {
        attachments += std::string(i ? ", " : "") + R"({"file": ")" + documents[i].file +
                       R"(", "contentType": ")" + documents[i].contentType + R"("})";
        agent::writeFileAtomically(folder / documents[i].file, documents[i].bytes);
    }
    agent::writeFileAtomically(
        folder / "record.json",
        R"({"patient": {"nhsNumber": ")" + nhsNumber +
            R"("}, "compositions": [{"title": "Surgery consultation", "effectiveTime": "2024-01-05",
              "author": "DR A JONES", "entries": [{"kind": "narrative",
              "text": "Consultation notes, reviewed and filed."}]}], "attachments": [)" +
            attachments + "]}");
}

} // namespace

Traffic::Traffic(World& world, test::SeededRandom& random, Ledger& ledger)
    : m_world(world), m_random(random), m_ledger(ledger) {
    // A few letters of different sizes; the agent copies a letter before it answers 202.
    for (const std::size_t size : {900U, 20'000U, 120'000U}) {
        const fs::path file = world.root() / ("letter-" + std::to_string(size) + ".pdf");
        std::string content = "%PDF-1.4\n";
        content.resize(size, 'x');
        agent::writeFileAtomically(file, content);
        m_letters.push_back(file);
    }
}

std::optional<std::string> Traffic::post(int agent, const std::string& path,
                                         const std::string& json) {
    try {
        const auto reply = m_world.agent(agent).api().post(path, json);
        if (reply.status == 202) {
            return reply.body;
        }
        ++m_ledger.notAccepted["HTTP " + std::to_string(reply.status)];
    } catch (const std::exception&) {
        // The agent is down or died mid-request: not accepted, so nothing is owed. If it had
        // committed before dying, the final checks still find the message in its database.
        ++m_ledger.notAccepted["unreachable"];
    }
    return std::nullopt;
}

std::string Traffic::accepted(int agent, const std::string& path, const std::string& json,
                              const std::string& field) {
    const auto body = post(agent, path, json);
    return body ? test::parseJsonObject(*body)->getValue<std::string>(field) : "";
}

void Traffic::burst() {
    const int prescriptions = 1 + pick(3);
    for (int i = 0; i < prescriptions; ++i) {
        prescribe(pick(kAgents));
    }
    if (pick(100) < 30) {
        cancel(pick(kAgents));
    }
    if (pick(100) < 25) {
        requestTransfer();
    }
    if (pick(100) < 30) {
        refer(pick(kAgents));
    }
}

bool Traffic::prescribe(int agent) {
    const std::string lineItemId = uuid();
    const auto body = post(agent, "/v1/eps/prescriptions", prescriptionJson(lineItemId));
    if (body) {
        const auto reply = test::parseJsonObject(*body);
        m_ledger.prescriptions.push_back({agent, reply->getValue<std::string>("messageId"),
                                          reply->getValue<std::string>("prescriptionId"),
                                          lineItemId, false});
    }
    return body.has_value();
}

void Traffic::cancel(int agent) {
    std::vector<Prescription*> candidates;
    for (auto& prescription : m_ledger.prescriptions) {
        if (prescription.agent == agent && !prescription.cancelRequested) {
            candidates.push_back(&prescription);
        }
    }
    if (candidates.empty()) {
        return;
    }
    Prescription& target =
        *candidates[static_cast<std::size_t>(pick(static_cast<int>(candidates.size())))];
    const std::string messageId =
        accepted(agent, "/v1/eps/cancellations",
                 R"({"prescriptionId": ")" + target.prescriptionId + R"(", "lineItemId": ")" +
                     target.lineItemId + R"(", "reason": "0001"})",
                 "messageId");
    if (!messageId.empty()) {
        target.cancelRequested = true;
        m_ledger.cancellations.push_back({agent, messageId});
    }
}

void Traffic::requestTransfer() {
    Transfer transfer;
    transfer.nhsNumber = nhsNumber();
    const std::string tag = std::to_string(m_ledger.transfers.size());
    // One document big enough to travel in fragments, one small enough to go inline.
    transfer.documents.push_back({"scan-" + tag + ".tiff", "image/tiff",
                                  randomBytes(20'000 + static_cast<std::size_t>(pick(60'000)))});
    transfer.documents.push_back(
        {"note-" + tag + ".txt", "text/plain", "Seen in surgery, transfer " + tag + ".\n"});
    writeRecord(m_world.recordSource() / transfer.nhsNumber, transfer.nhsNumber,
                transfer.documents);
    transfer.conversationId =
        accepted(kNewPractice, "/v1/gp2gp/requests",
                 R"({"nhsNumber": ")" + transfer.nhsNumber + R"(", "fromOdsCode": ")" +
                     m_world.practice(kOldPractice).odsCode + R"("})",
                 "conversationId");
    if (!transfer.conversationId.empty()) {
        m_ledger.transfers.push_back(std::move(transfer));
    }
}

void Traffic::refer(int agent) {
    const auto& letter =
        m_letters[static_cast<std::size_t>(pick(static_cast<int>(m_letters.size())))];
    const std::string service = std::to_string(10000001 + pick(25));
    const std::string requestId = accepted(
        agent, "/v1/ers/referrals",
        R"({"nhsNumber": "9449304130", "serviceIds": [")" + service + R"("], "letterFile": ")" +
            letter.string() + R"(", "letterContentType": "application/pdf"})",
        "requestId");
    if (!requestId.empty()) {
        m_ledger.referrals.push_back({agent, requestId});
    }
}

std::string Traffic::uuid() {
    const auto high = m_random.nextU64();
    const auto low = m_random.nextU64();
    char text[37];
    std::snprintf(text, sizeof text, "%08X-%04X-4%03X-%04X-%012llX",
                  static_cast<unsigned>(high >> 32), static_cast<unsigned>((high >> 16) & 0xFFFF),
                  static_cast<unsigned>(high & 0xFFF),
                  static_cast<unsigned>(0x8000 | ((low >> 48) & 0x3FFF)),
                  static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFULL));
    return text;
}

std::string Traffic::nhsNumber() {
    // Nine random digits and the modulus 11 check digit; a check digit of 10 means try again.
    while (true) {
        std::string digits = "9";
        int sum = 9 * 10;
        for (int position = 2; position <= 9; ++position) {
            const int digit = pick(10);
            digits += static_cast<char>('0' + digit);
            sum += digit * (11 - position);
        }
        const int check = (11 - sum % 11) % 11;
        if (check != 10) {
            return digits + static_cast<char>('0' + check);
        }
    }
}

std::string Traffic::randomBytes(std::size_t size) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; i += 8) {
        const auto word = m_random.nextU64();
        for (std::size_t b = 0; b < 8 && i + b < size; ++b) {
            bytes[i + b] = static_cast<char>((word >> (8 * b)) & 0xFF);
        }
    }
    return bytes;
}

} // namespace gp::chaos
