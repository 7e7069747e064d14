#pragma once

#include <gp/Result.hpp>
#include <gp/messaging/ids/RandomSource.hpp>

#include <string>
#include <string_view>

namespace gp::messaging::ids {

/// Ten digits whose modulus-11 check digit is right. Errors say which rule failed
/// ("must be 10 digits", "check digit is 3, expected 0", "check digit would be 10").
Status checkNhsNumber(std::string_view nhsNumber);

/// Upper-case RFC 4122 version 4 UUID, e.g. "0C1F8B2A-...".
std::string newUuid(RandomSource& random);
bool isUpperCaseUuid(std::string_view text);

/// ODS organisation code syntax: 3 to 10 upper-case letters and digits.
Status checkOdsCode(std::string_view odsCode);

/// The check character of an EPS short-form prescription ID (PROTOCOL.md §3), computed over
/// `idWithoutCheck` with or without hyphens.
char prescriptionCheckCharacter(std::string_view idWithoutCheck);

/// Pattern ^[A-F0-9]{6}-[A-Z0-9]{6}-[A-F0-9]{5}[A-Z0-9+]$ and a right check character.
Status checkPrescriptionId(std::string_view prescriptionId);

/// 6 random hex, the prescriber's ODS code left-padded with 0 to 6, 5 random hex, check character.
/// Throws std::invalid_argument for a code that cannot fill the six-character middle block (empty,
/// longer than 6, or outside A-Z and 0-9): check it first; eps::validate reports it as an error.
std::string newPrescriptionId(std::string_view prescriberOds, RandomSource& random);

} // namespace gp::messaging::ids
