#pragma once

#include <gp/Result.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace gp::mock {

/// An ISO 8601 duration as SDS publishes it: the text is kept so that the route lookup answers
/// exactly what was configured ("PT4H10M"), the value is what the forwarder computes with.
struct IsoDuration {
    std::string text;
    std::chrono::milliseconds value{0};
};

/// Reads P[nD]T[nH][nM][n[.fff]S] (days, hours, minutes, seconds with up to three decimals).
/// Years and months are refused: their length in milliseconds is not fixed. Error.where is
/// `where` (the configuration key).
Result<IsoDuration> parseIsoDuration(std::string_view text, const std::string& where);

} // namespace gp::mock
