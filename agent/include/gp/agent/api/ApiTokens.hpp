#pragma once

#include <gp/Result.hpp>
#include <gp/agent/api/Caller.hpp>

#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gp::agent::api {

/// The name the single token of api.tokenFile answers to (Full scope): the local administrator's
/// and the demo's token. Not allowed in the tokens file.
inline constexpr std::string_view kAdminTokenName = "local-admin";

/// One named token of the tokens file (api.tokensFile, docs/security.md). The file keeps only a
/// SHA-256 of each token, so reading it gives nobody a usable token.
struct TokenEntry {
    std::string name;
    Scope scope = Scope::Read;
    std::string created; // ISO 8601 UTC, when `gp-agentctl token add` made it
    std::string hash;    // lower-case hex SHA-256 of the token
    /// The practices (upper-case ODS codes) it may act for; empty: all (docs/multi-practice.md).
    std::vector<std::string> practices = {};
};

/// A token's practices as the file and `gp-agentctl token add --practices` spell them: "all", or
/// ODS codes separated by commas ("A83008,B81001"). The error names the code at fault.
Result<std::vector<std::string>> parseTokenPractices(std::string_view text);
/// "all" for none, else the codes joined by commas.
std::string formatTokenPractices(const std::vector<std::string>& practices);

/// 1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or digit: safe in a file line, a log line
/// and an audit actor.
bool validTokenName(std::string_view name);

/// Lower-case hex SHA-256 of a presented token.
std::string tokenHash(std::string_view token);

/// A new token: 32 bytes from the kernel's random source, as 64 hex digits.
std::string newSecretToken();

/// Parses the tokens file: one token a line, "NAME SCOPE CREATED SHA256 [PRACTICES]" (PRACTICES
/// as parseTokenPractices reads them; absent: all), blank lines and lines starting with '#'
/// ignored. The error names the line and what is wrong with it.
Result<std::vector<TokenEntry>> parseTokenFile(std::string_view text);
std::string formatTokenFile(const std::vector<TokenEntry>& entries);

/// Compares without an early exit, so the time taken says nothing about how much of a guess was
/// right. Strings of different lengths are unequal (a length says nothing secret here: every
/// compared value is a 64-digit hash).
bool constantTimeEquals(std::string_view a, std::string_view b);

/// Who a bearer token belongs to, for the local API. Holds the administrator token's hash and the
/// tokens file's entries; re-reads the file whenever it changes (its mtime, size or inode), so
/// `gp-agentctl token add/revoke` take effect on the next request without a restart. A file
/// that cannot be read or parsed, or that others may read, accepts no named token (the error is
/// logged) until it is put right: a revocation must never be undone by a typo.
class TokenRegistry {
public:
    /// Told, in words for the audit trail, which named tokens a read of the file found: the
    /// first read (event api-tokens-read) lists them all, if any; later ones (api-tokens-changed)
    /// what was added, revoked, replaced or rescoped. Called with the registry's lock held.
    using ChangeListener = std::function<void(const std::string& event, const std::string& detail)>;

    TokenRegistry(std::string_view adminToken, std::filesystem::path tokensFile,
                  ChangeListener onChange = {});

    /// The caller the token belongs to, or nothing when no token matches.
    std::optional<Caller> resolve(std::string_view presented);

    /// Reads the file now if it changed (resolve does this itself; the agent calls it at start so
    /// the trail records the tokens it starts with).
    void refresh();

private:
    void reloadIfChanged();
    void report(const std::vector<TokenEntry>& before, bool firstRead);

    std::string m_adminHash;
    std::filesystem::path m_file;
    ChangeListener m_onChange;
    std::mutex m_mutex;
    struct FileStamp {
        bool exists = false;
        long long mtimeNanos = 0;
        long long size = 0;
        unsigned long long inode = 0;
        bool operator==(const FileStamp&) const = default;
    };
    std::optional<FileStamp> m_loadedStamp;
    std::vector<TokenEntry> m_entries;
};

} // namespace gp::agent::api
