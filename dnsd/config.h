#pragma once
// Config: fastrbld's command line, parsed once into an immutable value before any thread
// starts (STYLE.md 27-29).
//
// The syntax is rbldnsd's (getopt string `u:r:b:w:t:c:p:nel:qs:h46dvaAfF:Cx:X:`, GNU
// argument permutation as in the Debian binary, zone specs after the options); features
// rbldnsd does not have are long options only. Every option is declared once, in the
// table returned by options(): that table builds the getopt strings, applies the defaults
// and prints the usage text. Parsing never prints and never exits: it returns what to
// print and the exit status, so that main() does the I/O and tests can check every
// message. Messages match rbldnsd's text where rbldnsd has the same option.
// Thread safety: parse_command_line() uses getopt's globals; call it from one thread,
// before threads start. A Config is a plain value, read-only once parsed.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::dnsd {

/// -t def:min:max. min/max 0 mean "no limit" (rbldnsd).
struct TtlConfig {
  std::uint32_t def = 2100;  // 35m
  std::uint32_t min = 0;
  std::uint32_t max = 0;
};

struct Config {
  std::vector<std::string> bind;      // -b texts, in order, as given ("host[/port]")
  int family = 0;                     // -4: AF_INET, -6: AF_INET6, default AF_UNSPEC (0)
  bool foreground = false;            // -n
  std::string workdir;                // -w (empty: stay)
  std::string pidfile;                // -p (empty: none)
  TtlConfig ttl;                      // -t
  bool lazy = false;                  // -a (true) / -A (false, the default)
  bool accept_host_bits = false;      // -e
  bool no_decompress = false;         // -C
  int version_mode = 0;               // -v count, capped at 2
  std::string user;                   // -u user[:group], as given (empty: none)
  std::string rootdir;                // -r (empty: no chroot)
  std::uint32_t check_interval = 60;  // -c, seconds; 0: no automatic reload checks
  bool quickstart = false;            // -q
  std::string logfile;                // -l without its '+' ("-": stdout; empty: no query log)
  bool log_unbuffered = false;        // -l +file
  std::string statsfile;              // -s without its '+' (empty: none)
  bool stats_delta = false;           // -s +file: counters relative to the previous line
  bool fork_on_reload = false;        // -f: accepted; reloads never stop answering anyway
  bool dump = false;                  // -d
  int syslog_facility = 0;            // -F, a LOG_* facility value (default LOG_DAEMON)
  unsigned workers = 1;               // --workers (default: available parallelism)
  unsigned tcp_max_conns = 1024;      // --tcp-max-conns, per worker
  unsigned tcp_idle_timeout = 10;     // --tcp-idle-timeout, seconds
  std::string db;                     // --db: the LMDB store directory (empty: the default one)
  bool no_db = false;                 // --no-db: no store, the data files are parsed (text path)
  std::string feeds;                  // --feeds: the feed config (TOML; empty: none)
  std::string update_keys;            // --update-keys: TSIG key file for DNS UPDATE (empty: refused)
  std::vector<std::string> zones;     // zone specs (name:type:file,...), as given
};

/// Parses a -t value (def[:min[:max]]) into *ttl, as fastrbld's -t (rbldnsd's rules and
/// messages). Returns false with the message in *error. Shared with fastrblctl.
bool parse_ttl_option(const char* arg, TtlConfig* ttl, std::string* error);

/// What main() should do after parsing.
struct ParseResult {
  bool run = false;  // true: serve with `config`; false: exit(exit_code)
  int exit_code = 0;
  std::string out;                  // text for stdout (usage), printed as is
  std::vector<std::string> errors;  // messages for stderr, each printed as "fastrbld: <msg>"
  Config config;
};

/// Parses argv (argv[0] is the program). Requires: argc >= 1; argv may be permuted.
ParseResult parse_command_line(int argc, char* argv[]);

/// The usage text (-h): a title line, then one line per option of the table.
std::string usage_text();

struct ParseState;  // config.cc: the Config being built and the messages so far

/// One entry of the option table.
struct OptionSpec {
  char short_name;           // '\0': long option only
  const char* long_name;     // nullptr: short option only
  const char* arg;           // argument name for the help text; nullptr: no argument
  const char* default_text;  // default shown in the help; applied through `apply` when
                             // `default_applies` (nullptr: none)
  bool default_applies;
  bool supported;  // false: refused with a message (-x, -X: no extension modules)
  const char* help;
  /// Applies one occurrence (arg is nullptr for options without one). Returns false after
  /// adding an error message to the state.
  bool (*apply)(ParseState& state, const char* arg);
};

/// The option table, in help order.
std::span<const OptionSpec> options() noexcept;

/// rbldnsd time value (compat §3.7): decimal digits, an optional unit s m h d w (either
/// case), then optional blanks. Stops at the first character after that and returns the
/// number of characters used, or 0 if `text` does not start with a valid value (no
/// digits, a bad unit, or more than 2^32-1 seconds).
std::size_t parse_time_value(std::string_view text, std::uint32_t* seconds) noexcept;

/// Splits a -b text at the first '/' into host and service ("53" when the port part is
/// missing or empty). Returns false when the host part is empty.
bool split_bind_text(std::string_view text, std::string* host, std::string* service);

}  // namespace fastrbl::dnsd
