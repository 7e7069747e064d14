#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace gp {

/// A failure that is part of normal operation: bad input, a peer's error, a full disk.
/// `where` names what was wrong so that a person can find it: a field path such as
/// "items[0].dmdCode", a header name such as "Content-Type", or a position such as "byte 1042".
struct Error {
    std::string where;
    std::string message;

    std::string describe() const { return where.empty() ? message : where + ": " + message; }
};

/// The value of a Result<Unit>, i.e. a Status: success carries nothing.
struct Unit {};

/// Either a value or an Error. Exceptions stay for bugs and start-up errors; a Result is for
/// failures that a caller is expected to handle (parsing, transport, storage).
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_state(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_state(std::in_place_index<1>, std::move(error)) {}

    bool ok() const noexcept { return m_state.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(checked()); }
    const T& value() const& { return std::get<0>(checked()); }
    // By value, so that `for (auto& x : f().value())` keeps what it iterates alive: a reference
    // into the temporary Result would dangle once the full expression ends.
    T value() && { return std::get<0>(std::move(checked())); }

    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const& {
        if (ok()) {
            throw std::logic_error("Result::error() called on a success");
        }
        return std::get<1>(m_state);
    }

private:
    std::variant<T, Error>& checked() {
        if (!ok()) {
            throw std::logic_error("Result::value() called on a failure: " +
                                   std::get<1>(m_state).describe());
        }
        return m_state;
    }
    const std::variant<T, Error>& checked() const {
        if (!ok()) {
            throw std::logic_error("Result::value() called on a failure: " +
                                   std::get<1>(m_state).describe());
        }
        return m_state;
    }

    std::variant<T, Error> m_state;
};

using Status = Result<Unit>;

inline Status success() {
    return Unit{};
}

inline Error failure(std::string where, std::string message) {
    return Error{std::move(where), std::move(message)};
}

} // namespace gp
