#pragma once

// Shared by the store's test files: a fresh directory per test, messages to enqueue, and raw
// sqlite3 access to the file for the tests that play an intruder or inspect the schema.

#include "TestDoubles.hpp"

#include <gp/agent/store/Store.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace gp::test {

class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "gp-store-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        m_path = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path file(const std::string& name) const { return m_path / name; }

private:
    std::filesystem::path m_path;
};

/// A SQLite store in a fresh directory, on a manual clock, with seeded ids. The members are
/// built in this order because the file lives in the directory and the store reads the clock.
struct OpenStore {
    TempDir dir;
    ManualClock clock;
    SeededRandom random;
    std::filesystem::path file = dir.file("agent.db");
    std::unique_ptr<agent::Store> store = agent::openSqliteStore(file, clock);
};

inline agent::OutboundMessage makeMessage(const std::string& messageId, agent::TimePoint createdAt,
                                          agent::Milliseconds persistFor = std::chrono::hours(1),
                                          int maxAttempts = 0) {
    agent::OutboundMessage message;
    message.messageId = messageId;
    message.conversationId = messageId;
    message.interaction = "PORX_IN020101SM31";
    message.service = "urn:nhs:names:services:mm";
    message.businessId = "9D6C1A-A83008-4E2B1Y";
    message.endpoint = "https://127.0.0.1:7680/reliablemessaging/reliablerequest";
    message.soapAction = "urn:nhs:names:services:mm/PORX_IN020101SM31";
    message.contentType = "multipart/related; boundary=\"--=_MIME-Boundary\"";
    message.body = std::string("body of ") + messageId + std::string("\0binary\xff", 8);
    message.createdAt = createdAt;
    message.expiresAt = createdAt + persistFor;
    message.maxAttempts = maxAttempts;
    return message;
}

/// doctest cannot print a MessageState (argument-dependent lookup finds agent::toString, whose
/// string_view it cannot append), so tests compare state names.
inline std::string stateName(agent::MessageState state) {
    return std::string(toString(state));
}

inline agent::AuditEvent apiEvent(const std::string& messageId) {
    return agent::AuditEvent{"api", "accepted", messageId, "interaction PORX_IN020101SM31"};
}

/// A plain sqlite3 connection to the store file, as someone with shell access would use.
class RawDatabase {
public:
    explicit RawDatabase(const std::filesystem::path& file) {
        sqlite3* handle = nullptr;
        const int rc = sqlite3_open(file.c_str(), &handle);
        m_handle.reset(handle);
        if (rc != SQLITE_OK) {
            throw std::runtime_error("cannot open " + file.string());
        }
    }

    void exec(const std::string& sql) {
        char* message = nullptr;
        if (sqlite3_exec(m_handle.get(), sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
            const std::string text = message != nullptr ? message : "unknown error";
            sqlite3_free(message);
            throw std::runtime_error(sql + ": " + text);
        }
    }

    /// The first column of the first row, as text ("" for NULL or no row).
    std::string scalar(const std::string& sql) {
        sqlite3_stmt* raw = nullptr;
        if (sqlite3_prepare_v2(m_handle.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
            throw std::runtime_error(sql + ": " + sqlite3_errmsg(m_handle.get()));
        }
        std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, &sqlite3_finalize);
        std::string value;
        if (sqlite3_step(statement.get()) == SQLITE_ROW) {
            if (const unsigned char* text = sqlite3_column_text(statement.get(), 0)) {
                value = reinterpret_cast<const char*>(text);
            }
        }
        return value;
    }

private:
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> m_handle{nullptr, &sqlite3_close};
};

} // namespace gp::test
