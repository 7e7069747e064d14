#pragma once

// A patient's record in an old practice's record source (gp2gp.recordSource), for the tests that
// move one with GP2GP: record.json naming the documents, and the documents themselves.

#include "SeededRandom.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace gp::test {

struct SourceDocument {
    std::string file;
    std::string contentType;
    std::string bytes;
};

/// `size` bytes that do not compress, the same for the same seed.
inline std::string randomBytes(std::size_t size, std::uint64_t seed) {
    SeededRandom random(seed);
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; i += 8) {
        const auto word = random.nextU64();
        for (std::size_t b = 0; b < 8 && i + b < size; ++b) {
            bytes[i + b] = static_cast<char>((word >> (8 * b)) & 0xFF);
        }
    }
    return bytes;
}

inline std::string readWholeFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Writes the folder of patient `nhsNumber` under `recordSource`: one consultation with
/// `narrativeEntries` narrative entries ("Entry 0 of the consultation notes…", "Entry 1 …"), and
/// `documents` as its attachments.
inline void writePatientRecord(const std::filesystem::path& recordSource,
                               const std::string& nhsNumber,
                               const std::vector<SourceDocument>& documents,
                               int narrativeEntries = 1) {
    const std::filesystem::path folder = recordSource / nhsNumber;
    std::filesystem::create_directories(folder);
    std::string entries;
    for (int i = 0; i < narrativeEntries; ++i) {
        entries += std::string(i ? ", " : "") + R"({"kind": "narrative", "text": "Entry )" +
                   std::to_string(i) + R"( of the consultation notes, reviewed and filed."})";
    }
    std::string attachments;
    for (std::size_t i = 0; i < documents.size(); ++i) {
        attachments += std::string(i ? ", " : "") + R"({"file": ")" + documents[i].file +
                       R"(", "contentType": ")" + documents[i].contentType + R"("})";
        std::ofstream(folder / documents[i].file, std::ios::binary) << documents[i].bytes;
    }
    std::ofstream(folder / "record.json")
        << R"({"patient": {"nhsNumber": ")" << nhsNumber
        << R"("}, "compositions": [{"title": "Surgery consultation", "effectiveTime": "2024-01-05",
              "author": "DR A JONES", "entries": [)"
        << entries << R"(]}], "attachments": [)" << attachments << "]}";
}

} // namespace gp::test
