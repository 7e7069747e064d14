#pragma once

#include <gp/Result.hpp>
#include <gp/mock/MockStore.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gp::mock {

/// A file uploaded through A020. The mock keeps its size and SHA-256, not its bytes.
struct ErsBinary {
    std::string id; // "att-" and 16 hex digits
    std::string contentType;
    std::string fileName;
    std::string referralId; // NHSD-eRS-Referral-ID at upload; empty when none was sent
    std::int64_t size = 0;
    std::string sha256; // lowercase hex
    std::string createdAt;
};

/// One referral the mock created, at its current version.
struct ErsReferral {
    std::string ubrn;          // 12 digits
    std::string correlationId; // X-Correlation-ID of the create; may be empty
    std::string nhsNumber;
    std::string odsCode; // NHSD-End-User-Organisation-ODS of the create
    std::string priority = "ROUTINE";
    std::string status = "active"; // active or cancelled
    int version = 1;
    std::vector<std::string> services;    // shortlisted service ids, in the order given
    std::vector<std::string> attachments; // attached Binary ids, in the order given
    std::string createdAt;
    std::string updatedAt;
};

/// e-RS state in spine-mock.db (tables ers_referrals and ers_binaries), written through the
/// MockStore's connection so that each change commits with its journal line.
class ErsStore {
public:
    explicit ErsStore(MockStore& store) : m_store(store) {}

    Result<std::optional<ErsReferral>> referral(const std::string& ubrn);
    /// Referrals in creation order; only the organisation's and/or those created under the
    /// correlation id when these are not empty.
    Result<std::vector<ErsReferral>> referrals(const std::string& odsCode = {},
                                               const std::string& correlationId = {});
    /// Inserts a new referral and the journal line in one transaction. A UBRN already used is an
    /// error.
    Status createReferral(const ErsReferral& referral, const JournalEntry& entry);
    /// Stores a referral's new status, version, attachments and update time with the journal line.
    Status updateReferral(const ErsReferral& referral, const JournalEntry& entry);

    Status addBinary(const ErsBinary& binary, const JournalEntry& entry);
    Result<std::optional<ErsBinary>> binary(const std::string& id);

    Status journal(const JournalEntry& entry) { return m_store.appendJournal(entry); }

private:
    MockStore& m_store;
};

} // namespace gp::mock
