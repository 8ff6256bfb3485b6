#include "dnsd/config.h"

#include "core/time_value.h"

#include <uv.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <limits>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>
#include <utility>

namespace fastrbl::dnsd {

/// The Config being built plus what parsing has to report.
struct ParseState {
  Config config;
  std::vector<std::string> errors;
  bool help = false;
};

namespace {

constexpr unsigned kMaxWorkers = 1024;
constexpr unsigned kMaxTcpConns = 65536;
constexpr std::uint32_t kMaxTcpIdleTimeout = 86400;
constexpr std::size_t kMaxBindOptions = 20;  // rbldnsd: MAXSOCK

bool fail(ParseState& st, std::string message) {
  st.errors.push_back(std::move(message));
  return false;
}

// rbldnsd quotes option values as `value'.
std::string quoted(const char* text) { return std::string("`") + text + "'"; }

// One field of -t: empty (keep the current value) or a time value followed by ':' or the
// end. Advances *p past the field and the ':' after it. The first field may be empty only
// before a ':' (rbldnsd: `-t ''` is invalid, `-t :5m` is not).
bool parse_ttl_field(const char** p, std::uint32_t* value, bool first) {
  const std::string_view rest(*p);
  if ((first || !rest.empty()) && (rest.empty() || rest.front() != ':')) {
    std::uint32_t v = 0;
    const std::size_t n = parse_time_value(rest, &v);
    if (n == 0 || (n < rest.size() && rest[n] != ':') || (first && v == 0)) return false;
    *value = v;
    *p += n;
  }
  if (**p == ':') ++*p;
  return true;
}

bool apply_ttl(ParseState& st, const char* arg) {
  std::string error;
  return parse_ttl_option(arg, &st.config.ttl, &error) || fail(st, error);
}

bool apply_bind(ParseState& st, const char* arg) {
  if (st.config.bind.size() >= kMaxBindOptions) {
    return fail(st, "too many addresses to listen on (" + std::to_string(kMaxBindOptions) + " max)");
  }
  st.config.bind.emplace_back(arg);
  return true;
}

// A decimal or time value (units allowed) within [lo, hi], for the long options.
bool parse_count(const char* arg, std::uint32_t lo, std::uint32_t hi, std::uint32_t* out) {
  std::uint32_t v = 0;
  const std::size_t n = parse_time_value(arg, &v);
  if (n == 0 || n != std::strlen(arg) || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool plain_number(const char* arg) {
  return *arg != '\0' &&
         std::all_of(arg, arg + std::strlen(arg), [](char c) { return c >= '0' && c <= '9'; });
}

bool apply_workers(ParseState& st, const char* arg) {
  std::uint32_t v = 0;
  if (!plain_number(arg) || !parse_count(arg, 1, kMaxWorkers, &v)) {
    return fail(st, "invalid --workers value " + quoted(arg) + " (1.." + std::to_string(kMaxWorkers) + ")");
  }
  st.config.workers = v;
  return true;
}

bool apply_tcp_max_conns(ParseState& st, const char* arg) {
  std::uint32_t v = 0;
  if (!plain_number(arg) || !parse_count(arg, 1, kMaxTcpConns, &v)) {
    return fail(
        st, "invalid --tcp-max-conns value " + quoted(arg) + " (1.." + std::to_string(kMaxTcpConns) + ")");
  }
  st.config.tcp_max_conns = v;
  return true;
}

bool apply_tcp_idle_timeout(ParseState& st, const char* arg) {
  std::uint32_t v = 0;
  if (!parse_count(arg, 1, kMaxTcpIdleTimeout, &v)) {
    return fail(st, "invalid --tcp-idle-timeout value " + quoted(arg) + " (1s.." +
                        std::to_string(kMaxTcpIdleTimeout) + "s)");
  }
  st.config.tcp_idle_timeout = v;
  return true;
}

// -x/-X: rbldnsd built without extension support (as Debian's is) says the same.
bool refuse_extension(ParseState& st, const char*) {
  return fail(st, "extension support is not compiled in");
}

bool apply_check(ParseState& st, const char* arg) {
  std::uint32_t v = 0;
  if (parse_time_value(arg, &v) != std::strlen(arg) || *arg == '\0') {
    return fail(st, "invalid check interval (-c) value " + quoted(arg));
  }
  st.config.check_interval = v;
  return true;
}

bool apply_facility(ParseState& st, const char* arg) {
  static constexpr std::array<std::pair<const char*, int>, 20> kFacilities = {
      {{"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},     {"daemon", LOG_DAEMON},
       {"ftp", LOG_FTP},       {"kern", LOG_KERN},         {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
       {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},     {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
       {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},     {"lpr", LOG_LPR},       {"mail", LOG_MAIL},
       {"news", LOG_NEWS},     {"syslog", LOG_SYSLOG},     {"user", LOG_USER},     {"uucp", LOG_UUCP}}};
  for (const auto& [name, value] : kFacilities) {
    if (std::strcmp(name, arg) == 0) {
      st.config.syslog_facility = value;
      return true;
    }
  }
  return fail(st, std::string("log facility ") + arg + " is not valid");
}

// -l and -s: a leading '+' is a flag, the rest the file name.
bool apply_file_with_plus(const char* arg, std::string* file, bool* plus) {
  *plus = arg[0] == '+';
  *file = arg + (*plus ? 1 : 0);
  return true;
}

// The table. Order = help order (rbldnsd's, then the long options).
const std::array<OptionSpec, 31> kOptionTable = {{
    {'u', nullptr, "user[:group]", nullptr, false, true,
     "run as this user:group (required when started as root, else user rbldns is used)",
     [](ParseState& st, const char* a) {
       st.config.user = a;
       return true;
     }},
    {'r', nullptr, "rootdir", nullptr, false, true, "chroot to this directory",
     [](ParseState& st, const char* a) {
       st.config.rootdir = a;
       return true;
     }},
    {'w', nullptr, "workdir", nullptr, false, true, "working directory with zone files",
     [](ParseState& st, const char* a) {
       st.config.workdir = a;
       return true;
     }},
    {'b', nullptr, "address[/port]", nullptr, false, true,
     "bind to (listen on) this address, UDP and TCP (required unless socket-activated; repeatable, 20 max; "
     "port 0: any free port)",
     apply_bind},
    {'4', nullptr, nullptr, nullptr, false, true, "use IPv4 socket type",
     [](ParseState& st, const char*) {
       st.config.family = AF_INET;
       return true;
     }},
    {'6', nullptr, nullptr, nullptr, false, true, "use IPv6 socket type",
     [](ParseState& st, const char*) {
       st.config.family = AF_INET6;
       return true;
     }},
    {'t', nullptr, "def[:min[:max]]", "35m", true, true,
     "default TTL value to set in answers, and the range allowed for TTLs from data", apply_ttl},
    {'v', nullptr, nullptr, nullptr, false, true,
     "hide version information in replies to version.bind CH TXT (second -v: refuse such requests)",
     [](ParseState& st, const char*) {
       st.config.version_mode = std::min(st.config.version_mode + 1, 2);
       return true;
     }},
    {'e', nullptr, nullptr, nullptr, false, true,
     "enable CIDR ranges where prefix is not on the range boundary (127.0.0.1/8)",
     [](ParseState& st, const char*) {
       st.config.accept_host_bits = true;
       return true;
     }},
    {'c', nullptr, "check", "1m", true, true, "time interval to check for data file updates (0: never)",
     apply_check},
    {'p', nullptr, "pidfile", nullptr, false, true, "write pid to specified file",
     [](ParseState& st, const char* a) {
       st.config.pidfile = a;
       return true;
     }},
    {'n', nullptr, nullptr, nullptr, false, true, "do not become a daemon",
     [](ParseState& st, const char*) {
       st.config.foreground = true;
       return true;
     }},
    {'f', nullptr, nullptr, nullptr, false, true,
     "fork a child process while reloading zones (accepted: reloads never stop answering)",
     [](ParseState& st, const char*) {
       st.config.fork_on_reload = true;
       return true;
     }},
    {'q', nullptr, nullptr, nullptr, false, true, "quickstart, load zones after backgrounding",
     [](ParseState& st, const char*) {
       st.config.quickstart = true;
       return true;
     }},
    {'l', nullptr, "[+]logfile", nullptr, false, true,
     "log queries and answers to this file (+ for unbuffered, - for stdout)",
     [](ParseState& st, const char* a) {
       return apply_file_with_plus(a, &st.config.logfile, &st.config.log_unbuffered);
     }},
    {'s', nullptr, "[+]statsfile", nullptr, false, true,
     "write a line with short statistics summary into this file (+ for relative counters)",
     [](ParseState& st, const char* a) {
       return apply_file_with_plus(a, &st.config.statsfile, &st.config.stats_delta);
     }},
    {'a', nullptr, nullptr, nullptr, false, true,
     "omit AUTH section from regular replies (like bind9 \"minimal-answers\")",
     [](ParseState& st, const char*) {
       st.config.lazy = true;
       return true;
     }},
    {'A', nullptr, nullptr, nullptr, false, true, "put AUTH section in every reply (the default)",
     [](ParseState& st, const char*) {
       st.config.lazy = false;
       return true;
     }},
    {'F', nullptr, "facility", "daemon", true, true, "log facility for syslog", apply_facility},
    {'C', nullptr, nullptr, nullptr, false, true, "disable on-the-fly decompression of dataset files",
     [](ParseState& st, const char*) {
       st.config.no_decompress = true;
       return true;
     }},
    {'x', nullptr, "extension", nullptr, false, false, "load given extension module (.so file)",
     refuse_extension},
    {'X', nullptr, "extarg", nullptr, false, false, "pass extarg to extension init routine",
     refuse_extension},
    {'d', nullptr, nullptr, nullptr, false, true, "dump all zones in BIND format to standard output and exit",
     [](ParseState& st, const char*) {
       st.config.dump = true;
       return true;
     }},
    {'h', "help", nullptr, nullptr, false, true, "print this help and exit",
     [](ParseState& st, const char*) {
       st.help = true;
       return true;
     }},
    {'\0', "workers", "N", "number of CPUs", false, true,
     "worker threads, each with its own UDP and TCP sockets", apply_workers},
    {'\0', "tcp-max-conns", "N", "1024", true, true,
     "open TCP connections per worker; when full, the least recently active one is closed",
     apply_tcp_max_conns},
    {'\0', "tcp-idle-timeout", "SECONDS", "10", true, true,
     "close a TCP connection this long after its last complete query", apply_tcp_idle_timeout},
    {'\0', "db", "DIR", nullptr, false, true,
     "serve from the LMDB store in DIR (relative to -w), compiling changed data files into it at start "
     "and on reload checks (with fastrblctl, out of process; docs/LMDB_SCHEMA.md). Without --db: "
     "$STATE_DIRECTORY, else /var/lib/fastrbl when writable, else $XDG_STATE_HOME/fastrbl or "
     "~/.local/state/fastrbl; a default store that cannot be opened or written is reported and the data "
     "files are loaded without it",
     [](ParseState& st, const char* a) {
       if (*a == '\0') return fail(st, "invalid --db value `' (a directory is needed)");
       st.config.db = a;
       return true;
     }},
    {'\0', "no-db", nullptr, nullptr, false, true,
     "no LMDB store: parse the data files at start and on every reload, as rbldnsd",
     [](ParseState& st, const char*) {
       st.config.no_db = true;
       return true;
     }},
    {'\0', "feeds", "FILE", nullptr, false, true,
     "the feed config (TOML): its datasets are rendered from the LMDB store (--db, or the default state "
     "directory) at start when their files are stale; DNS UPDATE changes them (--update-keys)",
     [](ParseState& st, const char* a) {
       if (*a == '\0') return fail(st, "invalid --feeds value `' (a file is needed)");
       st.config.feeds = a;
       return true;
     }},
    {'\0', "update-keys", "FILE", nullptr, false, true,
     "accept DNS UPDATE (RFC 2136) signed with these TSIG keys (tsig-keygen's format, hmac-sha256) for "
     "the zones of --feeds (docs/UPDATE.md); without it UPDATE is answered NOTIMP",
     [](ParseState& st, const char* a) {
       if (*a == '\0') return fail(st, "invalid --update-keys value `' (a file is needed)");
       st.config.update_keys = a;
       return true;
     }},
}};

// getopt_long's val for a long-only option.
constexpr int kLongBase = 256;

std::string short_options() {
  std::string s = ":";  // report a missing argument as ':'
  for (const OptionSpec& o : kOptionTable) {
    if (o.short_name == '\0') continue;
    s += o.short_name;
    if (o.arg != nullptr) s += ':';
  }
  return s;
}

std::vector<option> long_options() {
  std::vector<option> v;
  for (std::size_t i = 0; i < kOptionTable.size(); ++i) {
    const OptionSpec& o = kOptionTable[i];
    if (o.long_name == nullptr) continue;
    const int val = o.short_name != '\0' ? o.short_name : kLongBase + static_cast<int>(i);
    v.push_back(option{o.long_name, o.arg != nullptr ? required_argument : no_argument, nullptr, val});
  }
  v.push_back(option{nullptr, 0, nullptr, 0});
  return v;
}

const OptionSpec* find_option(int val) {
  if (val >= kLongBase) {
    const auto i = static_cast<std::size_t>(val - kLongBase);
    return i < kOptionTable.size() ? &kOptionTable[i] : nullptr;
  }
  for (const OptionSpec& o : kOptionTable)
    if (o.short_name != '\0' && o.short_name == val) return &o;
  return nullptr;
}

// A long option word ("--tcp" or "--tcp=5") that abbreviates several table names.
bool ambiguous_long(const char* word) {
  std::string_view w(word + 2);
  w = w.substr(0, w.find('='));
  if (w.empty()) return false;
  int matches = 0;
  for (const OptionSpec& o : kOptionTable) {
    if (o.long_name == nullptr) continue;
    const std::string_view name(o.long_name);
    if (name == w) return false;
    if (name.substr(0, w.size()) == w) ++matches;
  }
  return matches > 1;
}

ParseResult exit_with(ParseState& st, int code) {
  ParseResult r;
  r.run = false;
  r.exit_code = code;
  r.errors = std::move(st.errors);
  return r;
}

// systemd socket activation (sd_listen_fds' test): then -b is optional, as in the Debian
// rbldnsd build.
bool socket_activated() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (pid == nullptr || fds == nullptr) return false;
  return std::strtol(pid, nullptr, 10) == static_cast<long>(::getpid()) && std::strtol(fds, nullptr, 10) > 0;
}

ParseResult usage_error(ParseState& st) {
  st.errors.push_back("type `fastrbld -h' for help");
  return exit_with(st, 1);
}

}  // namespace

bool parse_ttl_option(const char* arg, TtlConfig* ttl, std::string* error) {
  TtlConfig t = *ttl;
  const char* p = arg;
  if (!parse_ttl_field(&p, &t.def, true)) return *error = "invalid ttl (-t) value " + quoted(arg), false;
  if (!parse_ttl_field(&p, &t.min, false)) return *error = "invalid minttl (-t) value " + quoted(arg), false;
  if (!parse_ttl_field(&p, &t.max, false)) return *error = "invalid maxttl (-t) value " + quoted(arg), false;
  if (*p != '\0') return *error = "invalid value for -t (ttl) option: " + quoted(arg), false;
  if ((t.min != 0 && t.max != 0 && t.min > t.max) || (t.min != 0 && t.def < t.min) ||
      (t.max != 0 && t.def > t.max)) {
    *error = "inconsistent def:min:max ttl: " + std::to_string(t.def) + ":" + std::to_string(t.min) + ":" +
             std::to_string(t.max);
    return false;
  }
  *ttl = t;
  return true;
}

std::span<const OptionSpec> options() noexcept { return kOptionTable; }

std::size_t parse_time_value(std::string_view text, std::uint32_t* seconds) noexcept {
  const auto t = core::parse_time_value(text);
  if (!t) return 0;
  std::size_t i = t->length;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  *seconds = t->seconds;
  return i;
}

bool split_bind_text(std::string_view text, std::string* host, std::string* service) {
  const std::size_t slash = text.find('/');
  const std::string_view h = text.substr(0, slash);
  std::string_view s;
  if (slash != std::string_view::npos) s = text.substr(slash + 1);
  if (h.empty()) return false;
  host->assign(h);
  service->assign(s.empty() ? std::string_view("53") : s);
  return true;
}

std::string usage_text() {
  std::string s;
  s += "fastrbld: DNSBL server, a drop-in replacement for rbldnsd, version " FASTRBL_VERSION "\n";
  s += "Usage is: fastrbld options zonespec...\nwhere options are:\n";
  for (const OptionSpec& o : kOptionTable) {
    std::string line = " ";
    if (o.short_name != '\0') {
      line += '-';
      line += o.short_name;
      if (o.long_name != nullptr) line += std::string(", --") + o.long_name;
    } else {
      line += std::string("--") + o.long_name;
    }
    if (o.arg != nullptr) line += std::string(" ") + o.arg;
    line += std::string(" - ") + o.help;
    if (o.default_text != nullptr) line += std::string(" (") + o.default_text + ")";
    if (!o.supported) line += " [not supported]";
    s += line + "\n";
  }
  s += "each zone specified using `name:type:file,file...'\n";
  s += "syntax, repeated names constitute the same zone.\n";
  return s;
}

ParseResult parse_command_line(int argc, char* argv[]) {
  ParseState st;
  if (argc <= 1) {
    ParseResult r;
    r.exit_code = 1;
    r.out = usage_text();
    return r;
  }
  // Defaults: from the table where the table's default text is a value.
  for (const OptionSpec& o : kOptionTable) {
    if (o.default_applies && !o.apply(st, o.default_text)) return exit_with(st, 1);
  }
  st.config.workers = std::clamp(uv_available_parallelism(), 1U, kMaxWorkers);

  const std::string shorts = short_options();
  const std::vector<option> longs = long_options();
  optind = 0;  // full reset of glibc's getopt, including its permutation state
  opterr = 0;  // messages are ours
  for (;;) {
    const int c = getopt_long(argc, argv, shorts.c_str(), longs.data(), nullptr);
    if (c == -1) break;
    if (c == '?' || c == ':') {
      const char* word = argv[optind - 1];
      const bool is_long = word != nullptr && std::strncmp(word, "--", 2) == 0;
      const OptionSpec* o = optopt != 0 ? find_option(optopt) : nullptr;
      if (c == ':') {
        if (is_long && o != nullptr && o->long_name != nullptr) {
          st.errors.push_back(std::string("option '--") + o->long_name + "' requires an argument");
        } else {
          st.errors.push_back(std::string("option requires an argument -- '") + static_cast<char>(optopt) +
                              "'");
        }
      } else if (is_long && o != nullptr) {
        st.errors.push_back(std::string("option '--") + o->long_name + "' doesn't allow an argument");
      } else if (is_long && ambiguous_long(word)) {
        st.errors.push_back(std::string("option '") + word + "' is ambiguous");
      } else if (is_long || optopt == 0) {
        st.errors.push_back(std::string("unrecognized option '") + (word != nullptr ? word : "") + "'");
      } else {
        st.errors.push_back(std::string("invalid option -- '") + static_cast<char>(optopt) + "'");
      }
      return usage_error(st);
    }
    const OptionSpec* o = find_option(c);
    if (o == nullptr) return usage_error(st);  // not reached: getopt only returns table values
    if (!o->apply(st, o->arg != nullptr ? optarg : nullptr)) return exit_with(st, 1);
    if (st.help) {
      ParseResult r;
      r.exit_code = 0;
      r.out = usage_text();
      return r;
    }
  }

  if (st.config.bind.empty() && !st.config.dump && !socket_activated()) {
    st.errors.emplace_back("no address to listen on (-b option) specified");
    return exit_with(st, 1);
  }
  for (int i = optind; i < argc; ++i) st.config.zones.emplace_back(argv[i]);
  if (!st.config.db.empty() && st.config.no_db) {
    st.errors.emplace_back("--db and --no-db exclude each other");
    return exit_with(st, 1);
  }
  if (!st.config.update_keys.empty() && st.config.feeds.empty()) {
    st.errors.emplace_back("--update-keys needs --feeds (the zones that accept updates)");
    return exit_with(st, 1);
  }
  if (st.config.zones.empty() && st.config.feeds.empty()) {  // --feeds brings its zones
    st.errors.emplace_back("no zone(s) to service specified (-h for help)");
    return exit_with(st, 1);
  }
  for (const std::string& b : st.config.bind) {
    std::string host;
    std::string service;
    if (!split_bind_text(b, &host, &service)) {
      st.errors.push_back("missing host part in bind address " + quoted(b.c_str()));
      return exit_with(st, 1);
    }
  }

  ParseResult r;
  r.run = true;
  r.config = std::move(st.config);
  return r;
}

}  // namespace fastrbl::dnsd
