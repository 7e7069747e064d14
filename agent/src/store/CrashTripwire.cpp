#include "CrashTripwire.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace gp::agent::sqlite {

namespace {

[[noreturn]] void invalid(std::string_view text, const std::string& problem) {
    throw std::runtime_error(std::string(kTripwireVariable) + ": '" + std::string(text) +
                             "': " + problem +
                             " (expected N, N:before-commit or N:after-commit, N from 1)");
}

void abortProcess(const std::string& why) {
    // stderr is unbuffered: the line is in the agent's log before the process dies.
    std::fprintf(stderr, "%s\n", why.c_str());
    std::abort();
}

} // namespace

TripwireSpec parseTripwireSpec(std::string_view text) {
    const auto colon = text.find(':');
    const std::string_view number = text.substr(0, colon);
    TripwireSpec spec;
    const auto [end, error] =
        std::from_chars(number.data(), number.data() + number.size(), spec.transition);
    if (number.empty() || error != std::errc() || end != number.data() + number.size()) {
        invalid(text, "the transition number is not a whole number");
    }
    if (spec.transition < 1) {
        invalid(text, "the transition number must be at least 1");
    }
    if (colon != std::string_view::npos) {
        const std::string_view point = text.substr(colon + 1);
        if (point == "before-commit") {
            spec.point = TripPoint::BeforeCommit;
        } else if (point == "after-commit") {
            spec.point = TripPoint::AfterCommit;
        } else {
            invalid(text, "the point after ':' is neither before-commit nor after-commit");
        }
    }
    return spec;
}

CrashTripwire::CrashTripwire(TripwireSpec spec, Action action)
    : m_spec(spec), m_action(action ? std::move(action) : Action(abortProcess)) {}

std::unique_ptr<CrashTripwire> CrashTripwire::fromEnvironment() {
    const char* value = std::getenv(kTripwireVariable);
    if (value == nullptr || *value == '\0') {
        return nullptr;
    }
    return std::make_unique<CrashTripwire>(parseTripwireSpec(value));
}

void CrashTripwire::beforeCommit(std::string_view operation) {
    ++m_seen;
    if (m_seen != m_spec.transition) {
        return;
    }
    if (m_spec.point == TripPoint::BeforeCommit) {
        fire(operation, "before commit");
    } else {
        m_armedOperation = std::string(operation);
    }
}

void CrashTripwire::afterCommit() {
    if (m_armedOperation) {
        const std::string operation = std::move(*m_armedOperation);
        m_armedOperation.reset();
        fire(operation, "after commit");
    }
}

void CrashTripwire::fire(std::string_view operation, std::string_view when) {
    m_action("crash tripwire: aborting at store transition " + std::to_string(m_spec.transition) +
             " (" + std::string(operation) + ", " + std::string(when) + ")");
}

} // namespace gp::agent::sqlite
