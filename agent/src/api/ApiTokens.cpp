#include <gp/agent/FilePermissions.hpp>
#include <gp/agent/Files.hpp>
#include <gp/agent/api/ApiTokens.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <Poco/DigestEngine.h>
#include <Poco/Logger.h>
#include <Poco/SHA2Engine.h>

#include <sys/random.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace gp::agent::api {

namespace {

Poco::Logger& logger() {
    return Poco::Logger::get("gp-agent.api");
}

bool isHexDigest(std::string_view text) {
    if (text.size() != 64) {
        return false;
    }
    for (const char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

std::vector<std::string> words(std::string_view line) {
    std::vector<std::string> out;
    std::istringstream in{std::string(line)};
    for (std::string word; in >> word;) {
        out.push_back(word);
    }
    return out;
}

} // namespace

bool validTokenName(std::string_view name) {
    if (name.empty() || name.size() > 64) {
        return false;
    }
    const auto alnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    if (!alnum(name.front())) {
        return false;
    }
    for (const char c : name) {
        if (!alnum(c) && c != '.' && c != '_' && c != '-') {
            return false;
        }
    }
    return true;
}

std::string tokenHash(std::string_view token) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(token.data(), static_cast<unsigned>(token.size()));
    return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string newSecretToken() {
    unsigned char bytes[32];
    std::size_t filled = 0;
    while (filled < sizeof bytes) {
        const auto n = ::getrandom(bytes + filled, sizeof bytes - filled, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw std::runtime_error(std::string("cannot read random bytes: ") +
                                     std::strerror(errno));
        }
        filled += static_cast<std::size_t>(n);
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string token;
    for (const unsigned char byte : bytes) {
        token += kHex[byte >> 4];
        token += kHex[byte & 0x0f];
    }
    return token;
}

Result<std::vector<std::string>> parseTokenPractices(std::string_view text) {
    std::vector<std::string> codes;
    if (text == "all") {
        return codes;
    }
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        std::string code(text.substr(start, comma - start));
        start = comma + 1;
        std::transform(code.begin(), code.end(), code.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (auto checked = messaging::ids::checkOdsCode(code); !checked) {
            return Error{"practices", "'" + code + "' is not an ODS code (" +
                                          checked.error().message +
                                          "); write all or codes "
                                          "separated by commas, such as A83008,B81001"};
        }
        if (std::find(codes.begin(), codes.end(), code) == codes.end()) {
            codes.push_back(std::move(code));
        }
    }
    return codes;
}

std::string formatTokenPractices(const std::vector<std::string>& practices) {
    if (practices.empty()) {
        return "all";
    }
    std::string out;
    for (const std::string& code : practices) {
        out += (out.empty() ? "" : ",") + code;
    }
    return out;
}

Result<std::vector<TokenEntry>> parseTokenFile(std::string_view text) {
    std::vector<TokenEntry> entries;
    std::size_t lineNumber = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        const std::string_view line = text.substr(start, end - start);
        start = end + 1;
        ++lineNumber;
        const auto fields = words(line);
        if (fields.empty() || fields.front().front() == '#') {
            continue;
        }
        const std::string where = "line " + std::to_string(lineNumber);
        if (fields.size() != 4 && fields.size() != 5) {
            return Error{where, "must be NAME SCOPE CREATED SHA256 [PRACTICES] (found " +
                                    std::to_string(fields.size()) + " field(s))"};
        }
        TokenEntry entry;
        entry.name = fields[0];
        if (!validTokenName(entry.name)) {
            return Error{where, "name must be 1 to 64 of A-Z a-z 0-9 . _ -"};
        }
        if (entry.name == kAdminTokenName) {
            return Error{where, "the name " + std::string(kAdminTokenName) +
                                    " belongs to api.tokenFile's token"};
        }
        const auto scope = parseScope(fields[1]);
        if (!scope) {
            return Error{where, "scope must be read, operate or full, not '" + fields[1] + "'"};
        }
        entry.scope = *scope;
        entry.created = fields[2];
        entry.hash = fields[3];
        if (!isHexDigest(entry.hash)) {
            return Error{where, "the hash must be 64 lower-case hex digits (a SHA-256)"};
        }
        if (fields.size() == 5) {
            auto practices = parseTokenPractices(fields[4]);
            if (!practices) {
                return Error{where, practices.error().describe()};
            }
            entry.practices = std::move(practices).value();
        }
        for (const TokenEntry& earlier : entries) {
            if (earlier.name == entry.name) {
                return Error{where, "the name " + entry.name + " is used twice"};
            }
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

std::string formatTokenFile(const std::vector<TokenEntry>& entries) {
    std::string out =
        "# gp-agent local API tokens: NAME SCOPE CREATED SHA256-OF-TOKEN [PRACTICES], one a\n"
        "# line (PRACTICES: ODS codes separated by commas; absent: all practices).\n"
        "# Managed with gp-agentctl token add/list/revoke; the tokens themselves are\n"
        "# not kept here. Keep this file mode 0600.\n";
    for (const TokenEntry& entry : entries) {
        out += entry.name + " " + std::string(toString(entry.scope)) + " " + entry.created + " " +
               entry.hash;
        // A token for every practice keeps the four-field line older agents read.
        if (!entry.practices.empty()) {
            out += " " + formatTokenPractices(entry.practices);
        }
        out += "\n";
    }
    return out;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    unsigned char difference = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    }
    return difference == 0;
}

TokenRegistry::TokenRegistry(std::string_view adminToken, std::filesystem::path tokensFile,
                             ChangeListener onChange)
    : m_adminHash(tokenHash(adminToken)), m_file(std::move(tokensFile)),
      m_onChange(std::move(onChange)) {}

void TokenRegistry::refresh() {
    std::lock_guard lock(m_mutex);
    reloadIfChanged();
}

void TokenRegistry::report(const std::vector<TokenEntry>& before, bool firstRead) {
    if (!m_onChange) {
        return;
    }
    const auto described = [](const TokenEntry& entry) {
        return entry.name + " (" + std::string(toString(entry.scope)) +
               (entry.practices.empty() ? ""
                                        : ", practices " + formatTokenPractices(entry.practices)) +
               ")";
    };
    std::string detail;
    const auto add = [&](const std::string& part) {
        detail += (detail.empty() ? "" : "; ") + part;
    };
    if (firstRead) {
        for (const TokenEntry& entry : m_entries) {
            add(described(entry));
        }
        if (!detail.empty()) { // an agent with only local-admin has nothing to add
            m_onChange("api-tokens-read", "named tokens: " + detail);
        }
        return;
    }
    const auto find = [](const std::vector<TokenEntry>& in, const std::string& name) {
        const auto found = std::find_if(
            in.begin(), in.end(), [&](const TokenEntry& entry) { return entry.name == name; });
        return found == in.end() ? nullptr : &*found;
    };
    for (const TokenEntry& entry : m_entries) {
        const TokenEntry* old = find(before, entry.name);
        if (old == nullptr) {
            add("added " + described(entry));
        } else if (old->hash != entry.hash) {
            add("replaced " + described(entry));
        } else if (old->scope != entry.scope || old->practices != entry.practices) {
            add("rescoped " + described(entry));
        }
    }
    for (const TokenEntry& entry : before) {
        if (find(m_entries, entry.name) == nullptr) {
            add("revoked " + entry.name);
        }
    }
    if (!detail.empty()) {
        m_onChange("api-tokens-changed", detail);
    }
}

void TokenRegistry::reloadIfChanged() {
    FileStamp stamp;
    struct stat info {};
    if (!m_file.empty() && ::stat(m_file.c_str(), &info) == 0) {
        stamp.exists = true;
        stamp.mtimeNanos =
            static_cast<long long>(info.st_mtim.tv_sec) * 1000000000LL + info.st_mtim.tv_nsec;
        stamp.size = static_cast<long long>(info.st_size);
        stamp.inode = static_cast<unsigned long long>(info.st_ino);
    }
    if (m_loadedStamp && *m_loadedStamp == stamp) {
        return;
    }
    const bool firstRead = !m_loadedStamp;
    m_loadedStamp = stamp;
    std::vector<TokenEntry> before = std::move(m_entries);
    m_entries.clear();
    if (!stamp.exists) {
        report(before, firstRead);
        return;
    }
    if (auto problem = ownerOnlyProblem(m_file, "api.tokensFile")) {
        logger().error("%s; no named token is accepted until it is fixed", *problem);
        report(before, firstRead);
        return;
    }
    try {
        auto parsed = parseTokenFile(readWholeFile(m_file));
        if (!parsed) {
            logger().error("api.tokensFile %s: %s; no named token is accepted until it is fixed",
                           m_file.string(), parsed.error().describe());
        } else {
            m_entries = std::move(parsed).value();
            logger().information("api.tokensFile read: %z named token(s)", m_entries.size());
        }
    } catch (const std::exception& e) {
        logger().error("api.tokensFile: %s; no named token is accepted until it is fixed",
                       std::string(e.what()));
    }
    report(before, firstRead);
}

std::optional<Caller> TokenRegistry::resolve(std::string_view presented) {
    const std::string hash = tokenHash(presented);
    std::lock_guard lock(m_mutex);
    reloadIfChanged();
    // Every entry is compared, whichever matches, so timing does not tell which one did.
    std::optional<Caller> found;
    if (constantTimeEquals(hash, m_adminHash)) {
        found = Caller{std::string(kAdminTokenName), Scope::Full};
    }
    for (const TokenEntry& entry : m_entries) {
        if (constantTimeEquals(hash, entry.hash) && !found) {
            found = Caller{entry.name, entry.scope, "", entry.practices};
        }
    }
    return found;
}

} // namespace gp::agent::api
