#include "SqliteStore.hpp"
#include "Statement.hpp"
#include "StoreRows.hpp"

#include <string>

namespace gp::agent::sqlite {

namespace {

constexpr std::string_view kRequestColumns =
    "request_id, state, nhs_number, service_ids, letter_file, letter_title, letter_content_type,"
    " letter_bytes, ubrn, version, binary_url, error_code, error_text, create_attempts,"
    " attach_attempts, created_at, updated_at, practice";

constexpr std::string_view kStepColumns = "request_id, seq, step, message_id, correlation_id,"
                                          " state, code, text, created_at, updated_at";

// Service ids are digits, so a comma is a safe separator.
std::string joinIds(const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids) {
        out += (out.empty() ? "" : ",") + id;
    }
    return out;
}

std::vector<std::string> splitIds(const std::string& text) {
    std::vector<std::string> ids;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto comma = text.find(',', start);
        const auto end = comma == std::string::npos ? text.size() : comma;
        if (end > start) {
            ids.push_back(text.substr(start, end - start));
        }
        start = end + 1;
    }
    return ids;
}

ErsRequest readRequest(const Statement& row) {
    ErsRequest request;
    request.requestId = row.text(0);
    request.state = row.text(1);
    request.nhsNumber = row.text(2);
    request.serviceIds = splitIds(row.text(3));
    request.letterFile = row.text(4);
    request.letterTitle = row.text(5);
    request.letterContentType = row.text(6);
    request.letterBytes = row.integer(7);
    request.ubrn = row.text(8);
    request.version = row.text(9);
    request.binaryUrl = row.text(10);
    request.errorCode = row.text(11);
    request.errorText = row.text(12);
    request.createAttempts = static_cast<int>(row.integer(13));
    request.attachAttempts = static_cast<int>(row.integer(14));
    request.createdAt = fromEpochMillis(row.integer(15));
    request.updatedAt = fromEpochMillis(row.integer(16));
    request.practice = row.text(17);
    return request;
}

ErsStepRecord readStep(const Statement& row) {
    ErsStepRecord step;
    step.requestId = row.text(0);
    step.seq = static_cast<int>(row.integer(1));
    step.step = row.text(2);
    step.messageId = row.text(3);
    step.correlationId = row.text(4);
    step.state = row.text(5);
    step.code = row.text(6);
    step.text = row.text(7);
    step.createdAt = fromEpochMillis(row.integer(8));
    step.updatedAt = fromEpochMillis(row.integer(9));
    return step;
}

} // namespace

void SqliteStore::upsertErsRequest(const ErsRequest& request, TimePoint now) {
    Statement upsert(
        m_database,
        sql({"INSERT INTO ers_requests (", kRequestColumns,
             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
             " ?17, ?18)"
             " ON CONFLICT (request_id) DO UPDATE SET state = excluded.state,"
             " nhs_number = excluded.nhs_number, service_ids = excluded.service_ids,"
             " letter_file = excluded.letter_file, letter_title = excluded.letter_title,"
             " letter_content_type = excluded.letter_content_type,"
             " letter_bytes = excluded.letter_bytes, ubrn = excluded.ubrn,"
             " version = excluded.version, binary_url = excluded.binary_url,"
             " error_code = excluded.error_code, error_text = excluded.error_text,"
             " create_attempts = excluded.create_attempts,"
             " attach_attempts = excluded.attach_attempts, updated_at = excluded.updated_at"}));
    const TimePoint createdAt = request.createdAt == TimePoint{} ? now : request.createdAt;
    upsert.bind(1, request.requestId)
        .bind(2, request.state)
        .bind(3, request.nhsNumber)
        .bind(4, joinIds(request.serviceIds))
        .bind(5, request.letterFile.string())
        .bind(6, request.letterTitle)
        .bind(7, request.letterContentType)
        .bind(8, std::int64_t{request.letterBytes})
        .bind(9, request.ubrn)
        .bind(10, request.version)
        .bind(11, request.binaryUrl)
        .bind(12, request.errorCode)
        .bind(13, request.errorText)
        .bind(14, std::int64_t{request.createAttempts})
        .bind(15, std::int64_t{request.attachAttempts})
        .bind(16, toEpochMillis(createdAt))
        .bind(17, toEpochMillis(now))
        .bind(18, request.practice)
        .run();
}

void SqliteStore::upsertErsStep(const ErsStepRecord& step, TimePoint now) {
    Statement upsert(m_database,
                     sql({"INSERT INTO ers_steps (", kStepColumns,
                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                          " ON CONFLICT (request_id, seq) DO UPDATE SET step = excluded.step,"
                          " message_id = excluded.message_id,"
                          " correlation_id = excluded.correlation_id, state = excluded.state,"
                          " code = excluded.code, text = excluded.text,"
                          " updated_at = excluded.updated_at"}));
    const TimePoint createdAt = step.createdAt == TimePoint{} ? now : step.createdAt;
    upsert.bind(1, step.requestId)
        .bind(2, std::int64_t{step.seq})
        .bind(3, step.step)
        .bind(4, step.messageId)
        .bind(5, step.correlationId)
        .bind(6, step.state)
        .bind(7, step.code)
        .bind(8, step.text)
        .bind(9, toEpochMillis(createdAt))
        .bind(10, toEpochMillis(now))
        .run();
}

Status SqliteStore::applyErsStep(const ErsWorkflowStep& step) {
    if (step.request.requestId.empty()) {
        return failure("request.requestId", "is empty");
    }
    for (std::size_t i = 0; i < step.steps.size(); ++i) {
        if (step.steps[i].requestId != step.request.requestId || step.steps[i].seq < 1) {
            return failure("steps[" + std::to_string(i) + "]",
                           "must belong to the request and have a seq from 1");
        }
    }
    return write<Unit>("applyErsStep", [&]() -> Status {
        const TimePoint now = m_clock.now();
        upsertErsRequest(step.request, now);
        for (const ErsStepRecord& record : step.steps) {
            upsertErsStep(record, now);
        }
        for (const OutboundMessage& message : step.outbound) {
            const Status inserted = insertOutbound(message, now, now);
            if (!inserted) {
                return inserted; // the whole step rolls back
            }
        }
        // Every row of a referral's step names its patient (the audit's "whose referral").
        const std::string& patient = step.request.nhsNumber;
        for (const AuditEvent& event : step.audit) {
            appendAudit(now, event.actor, event.event, event.messageId, event.detail,
                        event.nhsNumber.empty() ? patient : event.nhsNumber);
        }
        const std::string actor = step.audit.empty() ? "workflow" : step.audit.front().actor;
        for (const OutboundMessage& message : step.outbound) {
            appendAudit(now, actor, "queued", message.messageId,
                        "interaction " + message.interaction + ", e-RS request " +
                            step.request.requestId,
                        patient);
        }
        return success();
    });
}

std::optional<ErsRequest> SqliteStore::findErsRequest(const std::string& requestId) {
    return read<std::optional<ErsRequest>>(
        "findErsRequest", std::nullopt, [&](Database& db) -> std::optional<ErsRequest> {
            Statement query(
                db, sql({"SELECT ", kRequestColumns, " FROM ers_requests WHERE request_id = ?1"}));
            query.bind(1, requestId);
            if (!query.step()) {
                return std::nullopt;
            }
            return readRequest(query);
        });
}

std::optional<ErsRequest> SqliteStore::findErsRequestByUbrn(const std::string& ubrn) {
    if (ubrn.empty()) {
        return std::nullopt;
    }
    return read<std::optional<ErsRequest>>(
        "findErsRequestByUbrn", std::nullopt, [&](Database& db) -> std::optional<ErsRequest> {
            Statement query(
                db, sql({"SELECT ", kRequestColumns,
                         " FROM ers_requests WHERE ubrn = ?1 ORDER BY created_at LIMIT 1"}));
            query.bind(1, ubrn);
            if (!query.step()) {
                return std::nullopt;
            }
            return readRequest(query);
        });
}

std::vector<ErsStepRecord> SqliteStore::ersStepsOf(const std::string& requestId) {
    return read<std::vector<ErsStepRecord>>("ersStepsOf", {}, [&](Database& db) {
        Statement query(db, sql({"SELECT ", kStepColumns,
                                 " FROM ers_steps WHERE request_id = ?1 ORDER BY seq"}));
        query.bind(1, requestId);
        std::vector<ErsStepRecord> steps;
        while (query.step()) {
            steps.push_back(readStep(query));
        }
        return steps;
    });
}

std::vector<ErsRequest> SqliteStore::activeErsRequests(int limit) {
    return read<std::vector<ErsRequest>>("activeErsRequests", {}, [&](Database& db) {
        Statement query(db, sql({"SELECT ", kRequestColumns,
                                 " FROM ers_requests"
                                 " WHERE state NOT IN ('complete', 'failed', 'cancelled')"
                                 " ORDER BY created_at, request_id LIMIT ?1"}));
        query.bind(1, std::int64_t{limit < 0 ? 0 : limit});
        std::vector<ErsRequest> requests;
        while (query.step()) {
            requests.push_back(readRequest(query));
        }
        return requests;
    });
}

} // namespace gp::agent::sqlite
