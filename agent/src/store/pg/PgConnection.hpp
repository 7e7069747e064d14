#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;
struct pg_cancel;

namespace gp::agent::pg {

/// A failed libpq call or SQL statement. Like SqliteError it never leaves the store: PgStore turns
/// it into a gp::Error at each public method, after the transaction rolled back.
class PgError : public std::runtime_error {
public:
    PgError(std::string sqlState, const std::string& message, bool connectionLost)
        : std::runtime_error(message), m_sqlState(std::move(sqlState)),
          m_connectionLost(connectionLost) {}
    /// The five-character SQLSTATE ("23505" unique violation, "53100" disk full, "40P01"
    /// deadlock), or "" when the failure was not the server's (connection lost, libpq).
    const std::string& sqlState() const noexcept { return m_sqlState; }
    bool connectionLost() const noexcept { return m_connectionLost; }
    bool uniqueViolation() const noexcept { return m_sqlState == "23505"; }

private:
    std::string m_sqlState;
    bool m_connectionLost;
};

/// Parameters of one statement: text, or binary for bytea. Every value is copied in, so the
/// caller's strings may go away before the statement runs.
class Params {
public:
    Params& text(std::string_view value);
    Params& integer(std::int64_t value);
    Params& optionalInteger(std::optional<std::int64_t> value);
    Params& boolean(bool value);
    Params& bytes(std::string_view value); // bytea, sent in binary
    Params& null();

    int size() const { return static_cast<int>(m_values.size()); }
    const char* const* values() const { return m_pointers.data(); }
    const int* lengths() const { return m_lengths.data(); }
    const int* formats() const { return m_formats.data(); }

private:
    void add(std::optional<std::string> value, int format);
    std::vector<std::optional<std::string>> m_values; // nullopt: SQL NULL
    std::vector<const char*> m_pointers;
    std::vector<int> m_lengths;
    std::vector<int> m_formats;
};

/// The rows of one statement, in text format (bytea columns come back as their text form and
/// are decoded by bytes()). Freed in the destructor.
class Rows {
public:
    explicit Rows(pg_result* result);
    ~Rows();
    Rows(Rows&& other) noexcept;
    Rows& operator=(Rows&& other) noexcept;
    Rows(const Rows&) = delete;
    Rows& operator=(const Rows&) = delete;

    int count() const;
    /// Rows changed by an INSERT/UPDATE/DELETE.
    std::int64_t affected() const;
    bool isNull(int row, int column) const;
    std::string text(int row, int column) const;     // "" for NULL
    std::int64_t integer(int row, int column) const; // 0 for NULL
    std::optional<std::int64_t> optionalInteger(int row, int column) const;
    bool boolean(int row, int column) const;      // 't'
    std::string bytes(int row, int column) const; // a bytea column, decoded

private:
    pg_result* m_result = nullptr;
};

/// One libpq connection, closed in the destructor. Statements run through query() are prepared
/// once per connection, keyed by their SQL text, and then only bound and executed. One thread
/// at a time (the store's locks).
class Connection {
public:
    /// Connects to `url` (a libpq URI or key=value string). Throws PgError when it cannot.
    explicit Connection(const std::string& url);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Runs one or more statements (simple protocol, no parameters), e.g. a migration or BEGIN.
    void exec(std::string_view sql);
    /// Runs one statement with $1… parameters, prepared once per connection. Throws PgError.
    Rows query(std::string_view sql, const Params& params = {});

    bool inTransaction() const;
    /// In a transaction that a failed statement aborted: its COMMIT would only roll back.
    bool transactionFailed() const;
    /// The server process serving this connection (to recognise our own notifications).
    int backendPid() const;
    /// The socket to poll() for notifications (LISTEN).
    int socket() const;
    /// Reads what arrived on the socket and returns the channels and payloads of notifications
    /// received so far. Throws PgError when the connection is lost.
    struct Notification {
        std::string channel;
        std::string payload;
        int senderPid = 0;
    };
    std::vector<Notification> takeNotifications();

    /// Cancels whatever statement the connection runs (PQcancel), from any thread: how a thread
    /// blocked in a lock wait is stopped. Taken on the connection's own thread; usable after the
    /// connection is gone (it then cancels nothing).
    class Canceller {
    public:
        explicit Canceller(pg_cancel* cancel) : m_cancel(cancel) {}
        ~Canceller();
        Canceller(const Canceller&) = delete;
        Canceller& operator=(const Canceller&) = delete;
        /// False when the request could not be sent (the server is gone, or nothing to cancel).
        bool cancel() const;

    private:
        pg_cancel* m_cancel;
    };
    std::unique_ptr<Canceller> canceller() const;

private:
    [[noreturn]] void fail(std::string_view context, pg_result* result) const;

    pg_conn* m_connection = nullptr;
    std::map<std::string, std::string, std::less<>> m_prepared; // SQL text -> statement name
};

} // namespace gp::agent::pg
