#pragma once

// Shared GP2GP sample data for the messaging tests: fixed ids and times so that golden files
// stay byte-for-byte stable.

#include <gp/messaging/gp2gp/Gp2gpMessages.hpp>

#include <chrono>
#include <string>

namespace gp::test::gp2gp {

namespace g = gp::messaging::gp2gp;

inline std::chrono::sys_seconds at(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
    using namespace std::chrono;
    return sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm} + seconds{ss};
}

inline constexpr const char* kConversationId = "DFF5321C-C6EA-468E-BBC2-B0E48000E071";
inline constexpr const char* kRequestMessageId = "5A36471B-036B-48E1-BBB4-A89AEE0652E1";
inline constexpr const char* kExtractMessageId = "6E242658-3D8E-41E3-A7DC-172BDA00FA67";
inline constexpr const char* kRequestId = "041CA2AE-3EC6-4AC9-942F-0F6621CC0BFC";
inline constexpr const char* kExtractId = "7DFAECD9-A169-4187-B0A0-2613EDD7D835";
inline constexpr const char* kNhsNumber = "9692294935";

/// The requesting practice (new, N82668) writing to the sending practice (old, B86041).
inline g::Routing requesterToSender() {
    return g::Routing{"N82668-820670", "B86041-822103", "S2036482A2160104",
                      "200000000205",  "200000001161",  "N82668",
                      "B86041"};
}

/// The sending practice writing back.
inline g::Routing senderToRequester() {
    return g::Routing{"B86041-822103", "N82668-820670", "S2036482A2160104",
                      "200000001161",  "200000000205",  "B86041",
                      "N82668"};
}

inline g::Envelope envelope(const std::string& messageId, int minute = 0) {
    return g::Envelope{messageId, kConversationId, at(2026, 3, 15, 9, minute, 30)};
}

inline g::EhrRequest sampleRequest() {
    g::EhrRequest r;
    r.messageId = kRequestMessageId;
    r.creationTime = at(2026, 3, 15, 9, 0, 30);
    r.requestId = kRequestId;
    r.nhsNumber = kNhsNumber;
    r.requesterOds = "N82668";
    r.senderOds = "B86041";
    r.requesterAsid = "200000000205";
    r.senderAsid = "200000001161";
    return r;
}

inline g::AttachmentDescription describe(const std::string& filename,
                                         const std::string& contentType, bool large = false) {
    g::AttachmentDescription d;
    d.filename = filename;
    d.contentType = contentType;
    d.largeAttachment = large;
    return d;
}

inline g::EhrExtractSpec sampleExtract() {
    using Kind = g::ClinicalEntry::Kind;
    g::EhrExtractSpec s;
    s.messageId = kExtractMessageId;
    s.creationTime = at(2026, 3, 15, 9, 5, 30);
    s.extractId = kExtractId;
    s.requestId = kRequestId;
    s.nhsNumber = kNhsNumber;
    s.senderOds = "B86041";
    s.requesterOds = "N82668";
    s.senderAsid = "200000001161";
    s.requesterAsid = "200000000205";

    g::Composition visit;
    visit.id = "26EE99BB-00FF-4596-9D8B-1D349C1D70A1";
    visit.title = "Surgery consultation";
    visit.effectiveTime = "20250114101500";
    visit.authorName = "Dr Emma Anderson";
    visit.entries.push_back({Kind::Observation, "DCFDB486-F40A-4266-8B6E-88F9E38FC61A", "27113001",
                             "Body weight", "Weighed in clinic", "20250114", "72.5", "kg"});
    visit.entries.push_back({Kind::Medication, "8FA84DDE-70DC-462F-8A7F-3C532F9B7D47",
                             "39732311000001104", "Amoxicillin 250mg capsules",
                             "1 three times a day for 7 days", "20250114", "", ""});
    visit.entries.push_back({Kind::Allergy, "FDD5D332-0468-414A-84E5-AFDAD5B37BCE", "91936005",
                             "Allergy to penicillin", "Rash <2 days> & itching", "20190302", "",
                             ""});
    visit.entries.push_back({Kind::Narrative, "5703D932-5A4F-4D7A-9C8E-1B2C3D4E5F60", "", "",
                             "Patient reports feeling much better.", "", "", ""});
    s.compositions.push_back(visit);

    g::Composition admin;
    admin.id = "9C3AB881-FCDE-48EC-8028-37B20E0AE893";
    admin.title = "Administration";
    admin.effectiveTime = "";
    admin.authorName = "";
    admin.entries.push_back({Kind::Observation, "14CA7344-7460-4C96-BABC-AA0A2C8E96D6", "162864005",
                             "Body mass index", "", "20250114", "23", ""});
    s.compositions.push_back(admin);

    s.documents.push_back({"1C135B3C-5AA5-4BF1-A08B-E6002455B806", "cid:letter-1@gp-agent",
                           "Discharge letter",
                           describe("discharge letter=final.pdf", "application/pdf")});
    s.documents.push_back({"277F29F1-FEAB-4D38-8266-FEB7A1E6227D", "cid:note-2@gp-agent",
                           "Referral note", describe("referral.txt", "text/plain")});
    s.documents.push_back({"7CCB6A77-360E-434E-8CF4-97C7C2B47D70",
                           "mid:E39E79A2-FA96-48FF-9373-7BBCB9D036E7", "Scanned record",
                           describe("scan 2003.tif", "image/tiff", true)});
    s.documents.push_back({"8681AF4F-E577-4C8D-A2CE-43CABE3D5FB4",
                           "mid:A7B6C8EC-5AB4-4BF3-BB72-5D76E5D205A4", "Clinic video",
                           describe("clinic.mpg", "video/mpeg")});
    return s;
}

/// Bytes 0..255 repeated: every byte value, so base64 and binary safety are both exercised.
inline std::string binaryBytes(std::size_t n) {
    std::string out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        out += static_cast<char>(i % 256);
    }
    return out;
}

} // namespace gp::test::gp2gp
