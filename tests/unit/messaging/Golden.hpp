#pragma once

// Golden files for the messaging tests: the exact bytes we put on the wire, kept under
// tests/unit/messaging/golden/ so that any change to them shows up as a reviewed diff.

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace gp::test {

inline std::string goldenPath(const std::string& name) {
    return std::string(GP_GOLDEN_DIR) + "/" + name;
}

/// The file's bytes; a missing file fails the test rather than comparing against "".
inline std::string readGolden(const std::string& name) {
    std::ifstream in(goldenPath(name), std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "missing golden file " << name);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

/// With GP_UPDATE_GOLDEN=1 in the environment the file is rewritten first, so a deliberate
/// change is one run away; the diff is then reviewed like any other.
inline void checkGolden(const std::string& name, const std::string& actual) {
    if (const char* update = std::getenv("GP_UPDATE_GOLDEN");
        update && std::string(update) == "1") {
        std::ofstream(goldenPath(name), std::ios::binary) << actual;
    }
    CHECK_MESSAGE(actual == readGolden(name), "golden file " << name);
}

} // namespace gp::test
