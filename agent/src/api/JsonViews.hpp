#pragma once

#include <gp/Result.hpp>
#include <gp/agent/Clock.hpp>
#include <gp/agent/store/Store.hpp>

#include <Poco/JSON/Object.h>

#include <vector>

namespace gp::agent::api {

// The JSON shapes of the local API, in one place so docs/local-api.md has one thing to match.
Poco::JSON::Object::Ptr messageView(const MessageRecord& message,
                                    const std::vector<AuditRow>& history);
Poco::JSON::Object::Ptr statusView(const StatusSummary& status, TimePoint now);
/// One line of GET /v1/messages: what the status page's tables show.
Poco::JSON::Object::Ptr messageSummaryView(const MessageRecord& message);
Poco::JSON::Object::Ptr auditView(const std::vector<AuditRow>& rows);
Poco::JSON::Object::Ptr errorsView(const std::vector<Error>& errors);
Poco::JSON::Object::Ptr singleErrorView(const std::string& message);

std::string toJson(const Poco::JSON::Object::Ptr& object);

} // namespace gp::agent::api
