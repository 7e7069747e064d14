#pragma once

#include <gp/Result.hpp>
#include <gp/agent/Clock.hpp>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPResponse.h>

#include <optional>
#include <string>
#include <vector>

namespace Poco {
class Logger;
} // namespace Poco

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
} // namespace Poco::Net

namespace gp::agent::api {

// How every route of the local API reads requests and answers, so that each route module
// (LocalApi.cpp, Gp2gpRoutes.cpp, …) speaks the same JSON and error shapes.

/// The one logger of the local API ("gp-agent.api"), so its lines can be filtered together.
Poco::Logger& apiLogger();

void sendJson(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
              const std::string& body);
void sendJson(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
              const Poco::JSON::Object::Ptr& body);

/// {"errors": [{"field", "message"}]}
void sendErrors(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
                const std::vector<Error>& errors);
void sendError(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
               const std::string& message);

void methodNotAllowed(Poco::Net::HTTPServerResponse& response, const std::string& allowed);

/// The one answer to work the store could not keep (nothing of it was stored): 507 when its disk
/// is full, 503 when the disk failed or the store was otherwise unable (locked, read-only); the
/// body names the store and says why: {"errors": [{"field": "store", "message": ...}]}.
Poco::Net::HTTPResponse::HTTPStatus notStoredStatus(const Error& error);
void sendNotStored(Poco::Net::HTTPServerResponse& response, const Error& error);

/// The whole body, or nothing after answering 413 when it is larger than `maxBytes`.
std::optional<std::string> readBody(Poco::Net::HTTPServerRequest& request,
                                    Poco::Net::HTTPServerResponse& response, std::size_t maxBytes);

/// The body as a JSON object (an empty body reads as {}), or nothing after answering 400 or 413.
Poco::JSON::Object::Ptr readJsonObject(Poco::Net::HTTPServerRequest& request,
                                       Poco::Net::HTTPServerResponse& response,
                                       std::size_t maxBytes);

/// The largest page a listing query parameter (`limit`, `latest`) may ask for.
constexpr int kMaxPageSize = 10000;

/// A page size from the query parameter `name`, or nothing after answering 400 naming it when
/// `value` is not a whole number from 1 to kMaxPageSize.
std::optional<int> parsePageSize(Poco::Net::HTTPServerResponse& response, const std::string& name,
                                 const std::string& value);

/// JSON null for an absent value.
Poco::Dynamic::Var optionalTime(const std::optional<TimePoint>& time);
Poco::Dynamic::Var optionalText(const std::string& text);

} // namespace gp::agent::api
