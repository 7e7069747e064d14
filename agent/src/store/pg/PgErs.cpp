#include "../StoreRows.hpp"
#include "PgRows.hpp"
#include "PgStore.hpp"

#include <string>

namespace gp::agent::pg {

using sqlite::sql;

namespace {

constexpr std::string_view kRequestColumns =
    "request_id, state, nhs_number, service_ids, letter_file, letter_title, letter_content_type,"
    " letter_bytes, ubrn, version, binary_url, error_code, error_text, create_attempts,"
    " attach_attempts, created_at, updated_at, practice";

constexpr std::string_view kStepColumns = "request_id, seq, step, message_id, correlation_id,"
                                          " state, code, text, created_at, updated_at";

// Service ids are digits, so a comma is a safe separator (as SqliteErs.cpp stores them).
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

ErsRequest readRequest(const Rows& rows, int row) {
    ErsRequest request;
    request.requestId = rows.text(row, 0);
    request.state = rows.text(row, 1);
    request.nhsNumber = rows.text(row, 2);
    request.serviceIds = splitIds(rows.text(row, 3));
    request.letterFile = rows.text(row, 4);
    request.letterTitle = rows.text(row, 5);
    request.letterContentType = rows.text(row, 6);
    request.letterBytes = rows.integer(row, 7);
    request.ubrn = rows.text(row, 8);
    request.version = rows.text(row, 9);
    request.binaryUrl = rows.text(row, 10);
    request.errorCode = rows.text(row, 11);
    request.errorText = rows.text(row, 12);
    request.createAttempts = static_cast<int>(rows.integer(row, 13));
    request.attachAttempts = static_cast<int>(rows.integer(row, 14));
    request.createdAt = fromEpochMillis(rows.integer(row, 15));
    request.updatedAt = fromEpochMillis(rows.integer(row, 16));
    request.practice = rows.text(row, 17);
    return request;
}

std::optional<ErsRequest> firstRequest(const Rows& rows) {
    if (rows.count() == 0) {
        return std::nullopt;
    }
    return readRequest(rows, 0);
}

ErsStepRecord readStep(const Rows& rows, int row) {
    ErsStepRecord step;
    step.requestId = rows.text(row, 0);
    step.seq = static_cast<int>(rows.integer(row, 1));
    step.step = rows.text(row, 2);
    step.messageId = rows.text(row, 3);
    step.correlationId = rows.text(row, 4);
    step.state = rows.text(row, 5);
    step.code = rows.text(row, 6);
    step.text = rows.text(row, 7);
    step.createdAt = fromEpochMillis(rows.integer(row, 8));
    step.updatedAt = fromEpochMillis(rows.integer(row, 9));
    return step;
}

void upsertErsRequest(Connection& db, const ErsRequest& request, TimePoint now) {
    const TimePoint createdAt = request.createdAt == TimePoint{} ? now : request.createdAt;
    db.query(sql({"INSERT INTO ers_requests (", kRequestColumns,
                  ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
                  " $16, $17, $18)"
                  " ON CONFLICT (request_id) DO UPDATE SET state = excluded.state,"
                  " nhs_number = excluded.nhs_number, service_ids = excluded.service_ids,"
                  " letter_file = excluded.letter_file, letter_title = excluded.letter_title,"
                  " letter_content_type = excluded.letter_content_type,"
                  " letter_bytes = excluded.letter_bytes, ubrn = excluded.ubrn,"
                  " version = excluded.version, binary_url = excluded.binary_url,"
                  " error_code = excluded.error_code, error_text = excluded.error_text,"
                  " create_attempts = excluded.create_attempts,"
                  " attach_attempts = excluded.attach_attempts,"
                  " updated_at = excluded.updated_at"}),
             Params()
                 .text(request.requestId)
                 .text(request.state)
                 .text(request.nhsNumber)
                 .text(joinIds(request.serviceIds))
                 .text(request.letterFile.string())
                 .text(request.letterTitle)
                 .text(request.letterContentType)
                 .integer(request.letterBytes)
                 .text(request.ubrn)
                 .text(request.version)
                 .text(request.binaryUrl)
                 .text(request.errorCode)
                 .text(request.errorText)
                 .integer(request.createAttempts)
                 .integer(request.attachAttempts)
                 .integer(toEpochMillis(createdAt))
                 .integer(toEpochMillis(now))
                 .text(request.practice));
}

void upsertErsStep(Connection& db, const ErsStepRecord& step, TimePoint now) {
    const TimePoint createdAt = step.createdAt == TimePoint{} ? now : step.createdAt;
    db.query(sql({"INSERT INTO ers_steps (", kStepColumns,
                  ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                  " ON CONFLICT (request_id, seq) DO UPDATE SET step = excluded.step,"
                  " message_id = excluded.message_id,"
                  " correlation_id = excluded.correlation_id, state = excluded.state,"
                  " code = excluded.code, text = excluded.text,"
                  " updated_at = excluded.updated_at"}),
             Params()
                 .text(step.requestId)
                 .integer(step.seq)
                 .text(step.step)
                 .text(step.messageId)
                 .text(step.correlationId)
                 .text(step.state)
                 .text(step.code)
                 .text(step.text)
                 .integer(toEpochMillis(createdAt))
                 .integer(toEpochMillis(now)));
}

} // namespace

Status PgStore::applyErsStep(const ErsWorkflowStep& step) {
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
        Connection& db = writer();
        // The upsert locks the request's row: a second instance's step on the same referral waits
        // for this one's commit and then writes over it, as one after the other would.
        upsertErsRequest(db, step.request, now);
        for (const ErsStepRecord& record : step.steps) {
            upsertErsStep(db, record, now);
        }
        for (const OutboundMessage& message : step.outbound) {
            // insertOutbound tells the other instances' dispatchers (OutboxChanged).
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

std::optional<ErsRequest> PgStore::findErsRequest(const std::string& requestId) {
    return read<std::optional<ErsRequest>>(
        "findErsRequest", std::nullopt, [&](Connection& db) -> std::optional<ErsRequest> {
            return firstRequest(db.query(
                sql({"SELECT ", kRequestColumns, " FROM ers_requests WHERE request_id = $1"}),
                Params().text(requestId)));
        });
}

std::optional<ErsRequest> PgStore::findErsRequestByUbrn(const std::string& ubrn) {
    if (ubrn.empty()) {
        return std::nullopt;
    }
    return read<std::optional<ErsRequest>>(
        "findErsRequestByUbrn", std::nullopt, [&](Connection& db) -> std::optional<ErsRequest> {
            return firstRequest(
                db.query(sql({"SELECT ", kRequestColumns,
                              " FROM ers_requests WHERE ubrn = $1 ORDER BY created_at LIMIT 1"}),
                         Params().text(ubrn)));
        });
}

std::vector<ErsStepRecord> PgStore::ersStepsOf(const std::string& requestId) {
    return read<std::vector<ErsStepRecord>>("ersStepsOf", {}, [&](Connection& db) {
        const Rows rows = db.query(
            sql({"SELECT ", kStepColumns, " FROM ers_steps WHERE request_id = $1 ORDER BY seq"}),
            Params().text(requestId));
        std::vector<ErsStepRecord> steps;
        steps.reserve(static_cast<std::size_t>(rows.count()));
        for (int row = 0; row < rows.count(); ++row) {
            steps.push_back(readStep(rows, row));
        }
        return steps;
    });
}

std::vector<ErsRequest> PgStore::activeErsRequests(int limit) {
    return read<std::vector<ErsRequest>>("activeErsRequests", {}, [&](Connection& db) {
        const Rows rows = db.query(sql({"SELECT ", kRequestColumns,
                                        " FROM ers_requests"
                                        " WHERE state NOT IN ('complete', 'failed', 'cancelled')"
                                        " ORDER BY created_at, request_id COLLATE \"C\" LIMIT $1"}),
                                   Params().integer(limit < 0 ? 0 : limit));
        std::vector<ErsRequest> requests;
        requests.reserve(static_cast<std::size_t>(rows.count()));
        for (int row = 0; row < rows.count(); ++row) {
            requests.push_back(readRequest(rows, row));
        }
        return requests;
    });
}

} // namespace gp::agent::pg
