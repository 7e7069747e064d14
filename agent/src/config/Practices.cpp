#include <gp/agent/config/Practices.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <stdexcept>

namespace gp::agent {

namespace {

std::string upperCased(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

std::vector<std::string> fieldsOf(std::string_view line) {
    std::vector<std::string> out;
    std::istringstream in{std::string(line)};
    for (std::string field; in >> field;) {
        out.push_back(field);
    }
    return out;
}

bool allDigits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(),
                                        [](unsigned char c) { return std::isdigit(c) != 0; });
}

} // namespace

bool sameOdsCode(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::toupper(x) == std::toupper(y);
           });
}

PracticeDirectory::PracticeDirectory(std::vector<Practice> practices)
    : m_practices(std::move(practices)) {
    if (m_practices.empty()) {
        throw std::invalid_argument("no practice configured: set agent.odsCode, agent.partyKey "
                                    "and agent.asid");
    }
    for (std::size_t i = 0; i < m_practices.size(); ++i) {
        const Practice& practice = m_practices[i];
        const std::string name = practice.odsCode.empty() ? "practice " + std::to_string(i + 1)
                                                          : "practice " + practice.odsCode;
        if (practice.odsCode.empty()) {
            throw std::invalid_argument(name + " has no ODS code");
        }
        if (practice.partyKey.empty()) {
            throw std::invalid_argument(name + " has no party key");
        }
        if (practice.asid.empty()) {
            throw std::invalid_argument(name + " has no ASID");
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (sameOdsCode(m_practices[j].odsCode, practice.odsCode)) {
                throw std::invalid_argument(name + " is listed twice (ODS code " +
                                            practice.odsCode + ")");
            }
            if (m_practices[j].partyKey == practice.partyKey) {
                throw std::invalid_argument(name + " has party key " + practice.partyKey +
                                            ", already practice " + m_practices[j].odsCode + "'s");
            }
        }
    }
}

const Practice* PracticeDirectory::byOdsCode(std::string_view odsCode) const {
    for (const Practice& practice : m_practices) {
        if (sameOdsCode(practice.odsCode, odsCode)) {
            return &practice;
        }
    }
    return nullptr;
}

const Practice* PracticeDirectory::byPartyKey(std::string_view partyKey) const {
    for (const Practice& practice : m_practices) {
        if (practice.partyKey == partyKey) {
            return &practice;
        }
    }
    return nullptr;
}

Result<std::vector<Practice>> parsePracticesFile(std::string_view text) {
    std::vector<Practice> practices;
    std::size_t lineNumber = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        const std::string_view line = text.substr(start, end - start);
        start = end + 1;
        ++lineNumber;
        const auto fields = fieldsOf(line);
        if (fields.empty() || fields.front().front() == '#') {
            continue;
        }
        const std::string where = "line " + std::to_string(lineNumber);
        if (fields.size() == 4) {
            return failure(where, "certificate file '" + fields[3] +
                                      "' needs its key file after it (ODS PARTYKEY ASID CERTFILE "
                                      "KEYFILE)");
        }
        if (fields.size() != 3 && fields.size() != 5) {
            return failure(where, "must be ODS PARTYKEY ASID [CERTFILE KEYFILE] (found " +
                                      std::to_string(fields.size()) + " field(s))");
        }
        Practice practice;
        practice.odsCode = upperCased(fields[0]);
        if (auto checked = messaging::ids::checkOdsCode(practice.odsCode); !checked) {
            return failure(where, "ODS code '" + fields[0] + "' " + checked.error().message);
        }
        practice.partyKey = fields[1];
        // A party key is the practice's ODS code (or its system's) and a number: A83008-822345.
        if (practice.partyKey.find('-') == std::string::npos ||
            !allDigits(practice.partyKey.substr(practice.partyKey.rfind('-') + 1))) {
            return failure(where, "party key '" + fields[1] +
                                      "' must look like A83008-822345 (a code, '-', digits)");
        }
        practice.asid = fields[2];
        if (!allDigits(practice.asid)) {
            return failure(where, "ASID '" + fields[2] + "' must be digits only");
        }
        if (fields.size() == 5) {
            practice.certFile = fields[3];
            practice.keyFile = fields[4];
        }
        for (const Practice& earlier : practices) {
            if (earlier.odsCode == practice.odsCode) {
                return failure(where, "ODS code " + practice.odsCode + " is listed twice");
            }
            if (earlier.partyKey == practice.partyKey) {
                return failure(where, "party key " + practice.partyKey + " is already practice " +
                                          earlier.odsCode + "'s");
            }
        }
        practices.push_back(std::move(practice));
    }
    return practices;
}

} // namespace gp::agent
