#pragma once

#include <gp/Result.hpp>

#include <string_view>

/// Spine's own checks, written independently of gp::messaging::ids so that a bug in the agent's
/// validation cannot hide behind the same bug in the mock.
namespace gp::mock::rules {

/// Ten digits whose modulus-11 check digit (weights 10..2 over the first nine) matches the tenth.
Status checkNhsNumber(std::string_view nhsNumber);

/// True for the shape ^[A-F0-9]{6}-[A-Z0-9]{6}-[A-F0-9]{5}[A-Z0-9+]$.
bool hasPrescriptionIdShape(std::string_view prescriptionId);

/// The check character over every character of `id` but its last, hyphens skipped:
/// t = ((t + base36(c)) * 2) mod 37, check = (38 - t) mod 37 mapped into 0-9A-Z+.
/// Returns '?' if a character is not a base-36 digit.
char prescriptionCheckCharacter(std::string_view id);

/// Shape and check character; Error.where is "prescriptionId".
Status checkPrescriptionId(std::string_view prescriptionId);

/// 8-4-4-4-12 upper-case hexadecimal, the form Spine requires for eb:MessageId.
bool isUpperCaseUuid(std::string_view text);

} // namespace gp::mock::rules
