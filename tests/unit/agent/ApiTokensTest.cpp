#include "../../../agent/src/api/Authorisation.hpp"
#include "StoreTestSupport.hpp"

#include <gp/agent/FilePermissions.hpp>
#include <gp/agent/Files.hpp>
#include <gp/agent/api/ApiTokens.hpp>

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <string>

using namespace gp::agent;
using namespace gp::agent::api;

namespace {

const std::string kHashA = tokenHash("token-a");
const std::string kHashB = tokenHash("token-b");

unsigned modeOf(const std::filesystem::path& path) {
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info.st_mode & 0777u;
}

// Scopes compared by name: doctest would find api::toString by ADL and fail to print them.
std::string name(Scope scope) {
    return std::string(toString(scope));
}

std::string line(const std::string& name, const std::string& scope, const std::string& hash) {
    return name + " " + scope + " 2026-11-21T08:00:00.000Z " + hash + "\n";
}

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("a token's hash is the SHA-256 of its bytes, in lower-case hex") {
        CHECK(tokenHash("abc") ==
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        const std::string token = newSecretToken();
        CHECK(token.size() == 64);
        CHECK(token.find_first_not_of("0123456789abcdef") == std::string::npos);
        CHECK(newSecretToken() != token);
    }

    TEST_CASE("the tokens file reads back what was written, comments and blank lines aside") {
        const std::vector<TokenEntry> entries{
            {"reception-1", Scope::Read, "2026-11-21T08:00:00.000Z", kHashA},
            {"it.lead", Scope::Operate, "2026-11-21T09:00:00.000Z", kHashB}};
        const auto parsed = parseTokenFile(formatTokenFile(entries) + "\n# a note\n\n");
        REQUIRE(parsed.ok());
        REQUIRE(parsed->size() == 2);
        CHECK((*parsed)[0].name == "reception-1");
        CHECK(name((*parsed)[0].scope) == "read");
        CHECK(name((*parsed)[1].scope) == "operate");
        CHECK((*parsed)[1].created == "2026-11-21T09:00:00.000Z");
        CHECK((*parsed)[1].hash == kHashB);
        // The file holds hashes only: no token appears in it.
        CHECK(formatTokenFile(entries).find("token-a") == std::string::npos);
    }

    TEST_CASE("a bad tokens file line is refused, naming the line and the problem") {
        const auto check = [](const std::string& text, const std::string& where,
                              const std::string& words) {
            const auto parsed = parseTokenFile(text);
            REQUIRE_FALSE(parsed.ok());
            CHECK(parsed.error().where == where);
            CHECK(parsed.error().message.find(words) != std::string::npos);
        };
        check("# header\n" + line("a", "read", kHashA) + "b read\n", "line 3", "NAME SCOPE");
        check(line("a", "admin", kHashA), "line 1", "scope must be read, operate or full");
        check(line("a!b", "read", kHashA), "line 1", "name must be");
        check(line("-x", "read", kHashA), "line 1", "name must be");
        check(line("a", "read", "ABC"), "line 1", "64 lower-case hex");
        check(line("a", "read", kHashA) + line("a", "full", kHashB), "line 2", "used twice");
        check(line("local-admin", "full", kHashA), "line 1", "api.tokenFile");
    }

    TEST_CASE("a token may be scoped to practices: written, read back and resolved") {
        const std::vector<TokenEntry> entries{
            {"hosted-a", Scope::Full, "2026-11-21T08:00:00.000Z", kHashA, {"A83008", "B81001"}},
            {"everywhere", Scope::Read, "2026-11-21T09:00:00.000Z", kHashB}};
        const std::string text = formatTokenFile(entries);
        // A token for every practice keeps the four-field line older agents read.
        CHECK(text.find(kHashB + "\n") != std::string::npos);
        CHECK(text.find(kHashA + " A83008,B81001\n") != std::string::npos);
        const auto parsed = parseTokenFile(text);
        REQUIRE(parsed.ok());
        CHECK((*parsed)[0].practices == std::vector<std::string>{"A83008", "B81001"});
        CHECK((*parsed)[1].practices.empty());

        // "all" and lower case read as written by hand; a bad code names itself.
        CHECK(parseTokenPractices("all")->empty());
        CHECK(parseTokenPractices("a83008,A83008")->size() == 1);
        const auto bad =
            parseTokenFile("x read 2026-11-21T08:00:00.000Z " + kHashA + " A83008,no!\n");
        REQUIRE_FALSE(bad.ok());
        CHECK(bad.error().where == "line 1");
        CHECK(bad.error().message.find("'NO!' is not an ODS code") != std::string::npos);

        gp::test::TempDir dir;
        const auto file = dir.file("api-tokens");
        writeFileAtomically(file, text, 0600);
        std::vector<std::string> told;
        TokenRegistry tokens("admin-secret", file,
                             [&](const std::string& event, const std::string& detail) {
                                 told.push_back(event + ": " + detail);
                             });
        const auto hosted = tokens.resolve("token-a");
        REQUIRE(hosted.has_value());
        CHECK(hosted->mayActFor("A83008"));
        CHECK(hosted->mayActFor("b81001")); // ODS codes compare without case
        CHECK_FALSE(hosted->mayActFor("C82001"));
        CHECK(tokens.resolve("token-b")->mayActFor("C82001"));
        // api.tokenFile's token acts for every practice.
        CHECK(tokens.resolve("admin-secret")->mayActFor("C82001"));
        REQUIRE(told.size() == 1);
        CHECK(told[0].find("hosted-a (full, practices A83008,B81001)") != std::string::npos);

        // Narrowing a token's practices is a change the audit hears of.
        auto narrowed = entries;
        narrowed[0].practices = {"A83008"};
        writeFileAtomically(file, formatTokenFile(narrowed), 0600);
        CHECK_FALSE(tokens.resolve("token-a")->mayActFor("B81001"));
        REQUIRE(told.size() == 2);
        CHECK(told[1] == "api-tokens-changed: rescoped hosted-a (full, practices A83008)");
    }

    TEST_CASE("token names are limited to characters safe in a line, a log and an actor") {
        CHECK(validTokenName("reception-1"));
        CHECK(validTokenName("Desk_3.surgery"));
        CHECK_FALSE(validTokenName(""));
        CHECK_FALSE(validTokenName("has space"));
        CHECK_FALSE(validTokenName(".hidden"));
        CHECK_FALSE(validTokenName("a(b)"));
        CHECK_FALSE(validTokenName(std::string(65, 'a')));
    }

    TEST_CASE("scopes are ordered and spelled one way") {
        CHECK(Caller{"x", Scope::Full}.may(Scope::Operate));
        CHECK(Caller{"x", Scope::Operate}.may(Scope::Read));
        CHECK_FALSE(Caller{"x", Scope::Read}.may(Scope::Operate));
        CHECK_FALSE(Caller{"x", Scope::Operate}.may(Scope::Full));
        for (const Scope scope : {Scope::Read, Scope::Operate, Scope::Full}) {
            CHECK(name(parseScope(toString(scope)).value()) == name(scope));
        }
        CHECK_FALSE(parseScope("admin").has_value());
        CHECK(Caller{"desk-1", Scope::Read}.actor() == "api:desk-1");
        CHECK(Caller{"local-admin", Scope::Full, "alice"}.actor() == "api:local-admin (cli:alice)");
    }

    TEST_CASE("constant-time comparison still compares") {
        CHECK(constantTimeEquals(kHashA, kHashA));
        CHECK_FALSE(constantTimeEquals(kHashA, kHashB));
        CHECK_FALSE(constantTimeEquals("abc", "abcd"));
    }

    TEST_CASE("reads need read, staff actions operate, clinical work full") {
        CHECK(name(requiredScope("GET", "/v1/status")) == "read");
        CHECK(name(requiredScope("GET", "/v1/audit")) == "read");
        CHECK(name(requiredScope("POST", "/v1/messages/ABC/retry")) == "operate");
        CHECK(name(requiredScope("POST", "/v1/messages/ABC/acknowledge")) == "operate");
        CHECK(name(requiredScope("POST", "/v1/messages/retry-failed")) == "operate");
        CHECK(name(requiredScope("POST", "/v1/dispatch/pause")) == "operate");
        CHECK(name(requiredScope("POST", "/v1/dispatch/resume")) == "operate");
        CHECK(name(requiredScope("POST", "/v1/eps/prescriptions")) == "full");
        CHECK(name(requiredScope("POST", "/v1/eps/cancellations")) == "full");
        CHECK(name(requiredScope("POST", "/v1/ers/referrals")) == "full");
        CHECK(name(requiredScope("POST", "/v1/gp2gp/transfers")) == "full");
        CHECK(name(requiredScope("POST", "/v1/gp2gp/transfers/X/ack")) == "full");
        // Anything not thought about needs the most.
        CHECK(name(requiredScope("DELETE", "/v1/messages/ABC")) == "full");
        CHECK(name(requiredScope("POST", "/v1/something-new")) == "full");

        CHECK(isPublic("GET", "/healthz"));
        CHECK(isPublic("GET", "/"));
        CHECK(isPublic("GET", "/status.js"));
        CHECK(isPublic("GET", "/status.css"));
        CHECK_FALSE(isPublic("POST", "/healthz"));
        CHECK_FALSE(isPublic("GET", "/v1/status"));
    }

    TEST_CASE("the registry knows the administrator token and the named ones") {
        gp::test::TempDir dir;
        const auto file = dir.file("api-tokens");
        writeFileAtomically(file, line("desk-1", "read", kHashA) + line("lead", "operate", kHashB),
                            0600);
        TokenRegistry tokens("admin-secret", file);
        const auto admin = tokens.resolve("admin-secret");
        REQUIRE(admin.has_value());
        CHECK(admin->name == "local-admin");
        CHECK(name(admin->scope) == "full");
        const auto desk = tokens.resolve("token-a");
        REQUIRE(desk.has_value());
        CHECK(desk->name == "desk-1");
        CHECK(name(desk->scope) == "read");
        CHECK(name(tokens.resolve("token-b")->scope) == "operate");
        CHECK_FALSE(tokens.resolve("token-c").has_value());
        CHECK_FALSE(tokens.resolve("").has_value());
        // The file's hashes are not tokens.
        CHECK_FALSE(tokens.resolve(kHashA).has_value());
    }

    TEST_CASE("the registry follows the file: added, revoked and broken") {
        gp::test::TempDir dir;
        const auto file = dir.file("api-tokens");
        TokenRegistry tokens("admin-secret", file); // no file yet: only the administrator
        CHECK_FALSE(tokens.resolve("token-a").has_value());

        writeFileAtomically(file, line("desk-1", "read", kHashA), 0600);
        CHECK(tokens.resolve("token-a").has_value());

        writeFileAtomically(file, line("lead", "full", kHashB), 0600); // desk-1 revoked
        CHECK_FALSE(tokens.resolve("token-a").has_value());
        CHECK(tokens.resolve("token-b").has_value());

        // A broken file accepts no named token, so a revocation cannot come undone by a typo.
        writeFileAtomically(file, line("desk-1", "read", kHashA) + "oops\n", 0600);
        CHECK_FALSE(tokens.resolve("token-a").has_value());
        CHECK(tokens.resolve("admin-secret").has_value());

        // So does one others may read.
        writeFileAtomically(file, line("desk-1", "read", kHashA), 0640);
        CHECK_FALSE(tokens.resolve("token-a").has_value());
        writeFileAtomically(file, line("desk-1", "read", kHashA), 0600);
        CHECK(tokens.resolve("token-a").has_value());
    }

    TEST_CASE("the registry tells the audit which tokens it starts with and what changes") {
        gp::test::TempDir dir;
        const auto file = dir.file("api-tokens");
        writeFileAtomically(file, line("desk-1", "read", kHashA), 0600);
        std::vector<std::string> told;
        TokenRegistry tokens("admin-secret", file,
                             [&](const std::string& event, const std::string& detail) {
                                 told.push_back(event + ": " + detail);
                             });
        tokens.refresh();
        tokens.refresh(); // unchanged: nothing more to say
        REQUIRE(told.size() == 1);
        CHECK(told[0] == "api-tokens-read: named tokens: desk-1 (read)");

        writeFileAtomically(file, line("desk-1", "operate", kHashA) + line("lead", "full", kHashB),
                            0600);
        CHECK(tokens.resolve("token-b").has_value());
        REQUIRE(told.size() == 2);
        CHECK(told[1] == "api-tokens-changed: rescoped desk-1 (operate); added lead (full)");

        writeFileAtomically(file, line("lead", "full", tokenHash("token-c")), 0600);
        tokens.refresh();
        REQUIRE(told.size() == 3);
        CHECK(told[2] == "api-tokens-changed: replaced lead (full); revoked desk-1");
    }

    TEST_CASE("a missing state directory is created private; a world-readable one is refused") {
        gp::test::TempDir dir;
        const auto state = dir.path() / "state";
        requirePrivateDirectory(state, "agent.stateDir");
        CHECK(modeOf(state) == 0750);
        std::filesystem::permissions(state, std::filesystem::perms::others_read,
                                     std::filesystem::perm_options::add);
        try {
            requirePrivateDirectory(state, "agent.stateDir");
            FAIL("a world-readable state directory was accepted");
        } catch (const std::runtime_error& e) {
            const std::string message = e.what();
            CHECK(message.find("agent.stateDir " + state.string()) != std::string::npos);
            CHECK(message.find("0754") != std::string::npos);
            CHECK(message.find("chmod o-rwx " + state.string()) != std::string::npos);
        }
    }

    TEST_CASE("a token file its group or others may read is refused, naming the fix") {
        gp::test::TempDir dir;
        const auto file = dir.file("api-token");
        CHECK_FALSE(ownerOnlyProblem(file, "api.tokenFile").has_value()); // missing is fine
        writeFileAtomically(file, "secret\n", 0600);
        CHECK_NOTHROW(requireOwnerOnlyFile(file, "api.tokenFile"));
        for (const unsigned mode : {0640u, 0604u, 0620u}) {
            std::filesystem::permissions(file, static_cast<std::filesystem::perms>(mode));
            const auto problem = ownerOnlyProblem(file, "api.tokenFile");
            REQUIRE(problem.has_value());
            CHECK(problem->find("chmod 600 " + file.string()) != std::string::npos);
            CHECK_THROWS_AS(requireOwnerOnlyFile(file, "api.tokenFile"), std::runtime_error);
        }
    }

} // TEST_SUITE
