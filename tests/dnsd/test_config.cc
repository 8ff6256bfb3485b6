// The command line (dnsd/config.h): every option's parsing and every message, with the
// exit status. Messages follow the Debian rbldnsd binary byte for byte where rbldnsd has
// the same option (checked against /usr/sbin/rbldnsd), with "fastrbld" for "rbldnsd".

#include "dnsd/config.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <sys/socket.h>
#include <syslog.h>
#include <vector>

namespace {

using fastrbl::dnsd::Config;
using fastrbl::dnsd::ParseResult;

ParseResult parse(std::vector<std::string> args) {
  args.insert(args.begin(), "fastrbld");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return fastrbl::dnsd::parse_command_line(static_cast<int>(args.size()), argv.data());
}

// A command line that is complete apart from what a case adds in front.
std::vector<std::string> with_basics(std::vector<std::string> args) {
  args.emplace_back("-b");
  args.emplace_back("127.0.0.1/0");
  args.emplace_back("bl.example:ip4set:data.txt");
  return args;
}

struct ErrorCase {
  std::vector<std::string> args;
  std::vector<std::string> errors;  // exactly these lines, in order
};

}  // namespace

TEST_CASE("config: no arguments prints usage and exits 1") {
  const ParseResult r = parse({});
  CHECK_FALSE(r.run);
  CHECK(r.exit_code == 1);
  CHECK(r.errors.empty());
  CHECK(r.out.find("Usage is: fastrbld options zonespec...") != std::string::npos);
}

TEST_CASE("config: -h and --help print usage to stdout and exit 0") {
  for (const char* opt : {"-h", "--help"}) {
    const ParseResult r = parse({opt});
    CHECK_FALSE(r.run);
    CHECK(r.exit_code == 0);
    CHECK(r.errors.empty());
    CHECK(r.out == fastrbl::dnsd::usage_text());
  }
  // -h wins over what comes after it, as in rbldnsd (parsed in order).
  const ParseResult r = parse({"-h", "-t", "0"});
  CHECK(r.exit_code == 0);
}

TEST_CASE("config: the usage text lists every option of the table once") {
  const std::string usage = fastrbl::dnsd::usage_text();
  for (const auto& o : fastrbl::dnsd::options()) {
    std::string name =
        o.short_name != '\0' ? std::string(" -") + o.short_name : std::string(" --") + o.long_name;
    INFO(name);
    CHECK(usage.find(name) != std::string::npos);
    CHECK(usage.find(o.help) != std::string::npos);
    if (o.default_text != nullptr)
      CHECK(usage.find(std::string("(") + o.default_text + ")") != std::string::npos);
  }
  CHECK(usage.find("-t def[:min[:max]] - default TTL value to set in answers") != std::string::npos);
  CHECK(usage.find("(35m)") != std::string::npos);
  CHECK(usage.find(" -x extension - load given extension module (.so file) [not supported]") !=
        std::string::npos);
  CHECK(usage.find(" -c check - time interval to check for data file updates (0: never) (1m)") !=
        std::string::npos);
}

TEST_CASE("config: the short options are exactly rbldnsd's getopt string") {
  // rbldnsd: u:r:b:w:t:c:p:nel:qs:h46dvaAfF:Cx:X:
  const std::string rbldnsd = "u:r:b:w:t:c:p:nel:qs:h46dvaAfF:Cx:X:";
  std::set<std::string> want;
  for (std::size_t i = 0; i < rbldnsd.size(); ++i) {
    std::string o(1, rbldnsd[i]);
    if (i + 1 < rbldnsd.size() && rbldnsd[i + 1] == ':') {
      o += ':';
      ++i;
    }
    want.insert(o);
  }
  std::set<std::string> have;
  std::set<std::string> long_names;
  for (const auto& o : fastrbl::dnsd::options()) {
    if (o.short_name != '\0') have.insert(std::string(1, o.short_name) + (o.arg != nullptr ? ":" : ""));
    if (o.long_name != nullptr) CHECK(long_names.insert(o.long_name).second);  // declared once
  }
  CHECK(have == want);
  CHECK(long_names == std::set<std::string>{"help", "workers", "tcp-max-conns", "tcp-idle-timeout", "db",
                                            "no-db", "feeds", "update-keys"});
}

TEST_CASE("config: defaults") {
  const ParseResult r = parse(with_basics({}));
  REQUIRE(r.run);
  const Config& c = r.config;
  CHECK(c.bind == std::vector<std::string>{"127.0.0.1/0"});
  CHECK(c.zones == std::vector<std::string>{"bl.example:ip4set:data.txt"});
  CHECK(c.family == AF_UNSPEC);
  CHECK_FALSE(c.foreground);
  CHECK(c.workdir.empty());
  CHECK(c.pidfile.empty());
  CHECK(c.ttl.def == 2100);
  CHECK(c.ttl.min == 0);
  CHECK(c.ttl.max == 0);
  CHECK_FALSE(c.lazy);
  CHECK_FALSE(c.accept_host_bits);
  CHECK_FALSE(c.no_decompress);
  CHECK(c.version_mode == 0);
  CHECK(c.workers >= 1);
  CHECK(c.tcp_max_conns == 1024);
  CHECK(c.tcp_idle_timeout == 10);
  CHECK(c.user.empty());
  CHECK(c.rootdir.empty());
  CHECK(c.check_interval == 60);
  CHECK_FALSE(c.quickstart);
  CHECK(c.logfile.empty());
  CHECK_FALSE(c.log_unbuffered);
  CHECK(c.statsfile.empty());
  CHECK_FALSE(c.stats_delta);
  CHECK_FALSE(c.fork_on_reload);
  CHECK_FALSE(c.dump);
  CHECK(c.syslog_facility == LOG_DAEMON);
}

TEST_CASE("config: flags and values") {
  struct Case {
    std::vector<std::string> args;
    bool (*check)(const Config&);
  };
  const std::vector<Case> cases = {
      {{"-n"}, [](const Config& c) { return c.foreground; }},
      {{"-w", "/srv/rbl"}, [](const Config& c) { return c.workdir == "/srv/rbl"; }},
      {{"-p", "run/fastrbld.pid"}, [](const Config& c) { return c.pidfile == "run/fastrbld.pid"; }},
      {{"-4"}, [](const Config& c) { return c.family == AF_INET; }},
      {{"-6"}, [](const Config& c) { return c.family == AF_INET6; }},
      {{"-4", "-6"}, [](const Config& c) { return c.family == AF_INET6; }},  // the last one wins
      {{"-6", "-4"}, [](const Config& c) { return c.family == AF_INET; }},
      {{"-a"}, [](const Config& c) { return c.lazy; }},
      {{"-A"}, [](const Config& c) { return !c.lazy; }},
      {{"-a", "-A"}, [](const Config& c) { return !c.lazy; }},
      {{"-A", "-a"}, [](const Config& c) { return c.lazy; }},
      {{"-e"}, [](const Config& c) { return c.accept_host_bits; }},
      {{"-C"}, [](const Config& c) { return c.no_decompress; }},
      {{"-v"}, [](const Config& c) { return c.version_mode == 1; }},
      {{"-vv"}, [](const Config& c) { return c.version_mode == 2; }},
      {{"-v", "-v", "-v"}, [](const Config& c) { return c.version_mode == 2; }},
      {{"-nea"}, [](const Config& c) { return c.foreground && c.accept_host_bits && c.lazy; }},
      {{"-t", "5m"}, [](const Config& c) { return c.ttl.def == 300 && c.ttl.min == 0 && c.ttl.max == 0; }},
      {{"-t", "5m:1m:1h"},
       [](const Config& c) { return c.ttl.def == 300 && c.ttl.min == 60 && c.ttl.max == 3600; }},
      {{"-t", ":5m"}, [](const Config& c) { return c.ttl.def == 2100 && c.ttl.min == 300; }},
      {{"-t", "5m::1h"},
       [](const Config& c) { return c.ttl.def == 300 && c.ttl.min == 0 && c.ttl.max == 3600; }},
      {{"-t", "5m:"}, [](const Config& c) { return c.ttl.def == 300; }},
      {{"-t", ":::"}, [](const Config& c) { return c.ttl.def == 2100; }},
      {{"-t", "1:1:1:"}, [](const Config& c) { return c.ttl.def == 1 && c.ttl.min == 1 && c.ttl.max == 1; }},
      {{"-t", "1W"}, [](const Config& c) { return c.ttl.def == 604800; }},
      {{"-t", "2d"}, [](const Config& c) { return c.ttl.def == 172800; }},
      {{"-t", "3H"}, [](const Config& c) { return c.ttl.def == 10800; }},
      {{"-t", "10s"}, [](const Config& c) { return c.ttl.def == 10; }},
      {{"-t", "05"}, [](const Config& c) { return c.ttl.def == 5; }},
      {{"-t", "5 "}, [](const Config& c) { return c.ttl.def == 5; }},
      {{"-t", "5:5 :6"}, [](const Config& c) { return c.ttl.min == 5 && c.ttl.max == 6; }},
      {{"-t", "5:0"}, [](const Config& c) { return c.ttl.def == 5 && c.ttl.min == 0; }},
      {{"-t", "10:0:0"}, [](const Config& c) { return c.ttl.def == 10; }},
      {{"-t", "4294967295"}, [](const Config& c) { return c.ttl.def == 4294967295U; }},
      {{"-t", "71582788m"}, [](const Config& c) { return c.ttl.def == 4294967280U; }},
      {{"-u", "rbldns"}, [](const Config& c) { return c.user == "rbldns"; }},
      {{"-u", "65534:65534"}, [](const Config& c) { return c.user == "65534:65534"; }},
      {{"-r", "/var/lib/rbldns"}, [](const Config& c) { return c.rootdir == "/var/lib/rbldns"; }},
      {{"-c", "0"}, [](const Config& c) { return c.check_interval == 0; }},
      {{"-c", "5m"}, [](const Config& c) { return c.check_interval == 300; }},
      {{"-c", "30"}, [](const Config& c) { return c.check_interval == 30; }},
      {{"-q"}, [](const Config& c) { return c.quickstart; }},
      {{"-f"}, [](const Config& c) { return c.fork_on_reload; }},
      {{"-d"}, [](const Config& c) { return c.dump; }},
      {{"-l", "query.log"}, [](const Config& c) { return c.logfile == "query.log" && !c.log_unbuffered; }},
      {{"-l", "+query.log"}, [](const Config& c) { return c.logfile == "query.log" && c.log_unbuffered; }},
      {{"-l", "-"}, [](const Config& c) { return c.logfile == "-" && !c.log_unbuffered; }},
      {{"-l", "+-"}, [](const Config& c) { return c.logfile == "-" && c.log_unbuffered; }},
      {{"-s", "stats"}, [](const Config& c) { return c.statsfile == "stats" && !c.stats_delta; }},
      {{"-s", "+stats"}, [](const Config& c) { return c.statsfile == "stats" && c.stats_delta; }},
      {{"-F", "local3"}, [](const Config& c) { return c.syslog_facility == LOG_LOCAL3; }},
      {{"-F", "mail"}, [](const Config& c) { return c.syslog_facility == LOG_MAIL; }},
      {{"--workers", "4"}, [](const Config& c) { return c.workers == 4; }},
      {{"--workers=1"}, [](const Config& c) { return c.workers == 1; }},
      {{"--tcp-max-conns", "100"}, [](const Config& c) { return c.tcp_max_conns == 100; }},
      {{"--tcp-idle-timeout", "30"}, [](const Config& c) { return c.tcp_idle_timeout == 30; }},
      {{"--tcp-idle-timeout", "2m"}, [](const Config& c) { return c.tcp_idle_timeout == 120; }},
      {{"--db", "/var/lib/x"}, [](const Config& c) { return c.db == "/var/lib/x"; }},
      {{}, [](const Config& c) { return c.db.empty() && !c.no_db; }},  // the default store
      {{"--no-db"}, [](const Config& c) { return c.db.empty() && c.no_db; }},
      {{"--feeds", "f.toml", "--update-keys", "k.conf"},
       [](const Config& c) { return c.feeds == "f.toml" && c.update_keys == "k.conf"; }},
      {{}, [](const Config& c) { return c.feeds.empty() && c.update_keys.empty(); }},
  };
  for (const Case& k : cases) {
    std::string text;
    for (const auto& a : k.args) text += a + " ";
    INFO(text);
    const ParseResult r = parse(with_basics(k.args));
    REQUIRE(r.run);
    CHECK(r.errors.empty());
    CHECK(k.check(r.config));
  }
}

TEST_CASE("config: -b is repeatable and zone specs keep their order") {
  const ParseResult r = parse({"-b", "127.0.0.1/5353", "-b", "::1/5353", "a:ip4set:f", "b:dnset:g,h"});
  REQUIRE(r.run);
  CHECK(r.config.bind == std::vector<std::string>{"127.0.0.1/5353", "::1/5353"});
  CHECK(r.config.zones == std::vector<std::string>{"a:ip4set:f", "b:dnset:g,h"});
}

TEST_CASE("config: options after the zone specs are still options as with the Debian binary") {
  const ParseResult r = parse({"bl.example:ip4set:f", "-n", "-b", "127.0.0.1/0", "-v"});
  REQUIRE(r.run);
  CHECK(r.config.foreground);
  CHECK(r.config.version_mode == 1);
  CHECK(r.config.zones == std::vector<std::string>{"bl.example:ip4set:f"});
}

TEST_CASE("config: errors with their messages and exit status") {
  std::vector<std::string> many_b;
  for (int i = 0; i < 21; ++i) {
    many_b.emplace_back("-b");
    many_b.push_back("127.0.0." + std::to_string(i + 1) + "/53");
  }
  many_b.emplace_back("x:ip4set:f");

  const std::vector<ErrorCase> cases = {
      // getopt
      {{"-Z"}, {"invalid option -- 'Z'", "type `fastrbld -h' for help"}},
      {{"-b", "127.0.0.1", "x:ip4set:f", "-Z"}, {"invalid option -- 'Z'", "type `fastrbld -h' for help"}},
      {{"-b"}, {"option requires an argument -- 'b'", "type `fastrbld -h' for help"}},
      {{"-t"}, {"option requires an argument -- 't'", "type `fastrbld -h' for help"}},
      {{"-s"}, {"option requires an argument -- 's'", "type `fastrbld -h' for help"}},
      {{"--workers"}, {"option '--workers' requires an argument", "type `fastrbld -h' for help"}},
      {{"--bogus"}, {"unrecognized option '--bogus'", "type `fastrbld -h' for help"}},
      {{"--help=yes"}, {"option '--help' doesn't allow an argument", "type `fastrbld -h' for help"}},
      {{"--tcp", "5"}, {"option '--tcp' is ambiguous", "type `fastrbld -h' for help"}},
      {{"--no-db=x"}, {"option '--no-db' doesn't allow an argument", "type `fastrbld -h' for help"}},
      {{"--db", "s", "--no-db", "-b", "127.0.0.1", "x:ip4set:f"}, {"--db and --no-db exclude each other"}},
      // what has to be there
      {{"x:ip4set:f"}, {"no address to listen on (-b option) specified"}},
      {{"-n"}, {"no address to listen on (-b option) specified"}},
      {{"-d"}, {"no zone(s) to service specified (-h for help)"}},  // -d needs no -b
      {{"-b", "127.0.0.1/0"}, {"no zone(s) to service specified (-h for help)"}},
      {{"-b", "nosuch.invalid"}, {"no zone(s) to service specified (-h for help)"}},
      // -b
      {{"-b", "/5353", "x:ip4set:f"}, {"missing host part in bind address `/5353'"}},
      {{"-b", "127.0.0.1/0", "-b", "/5", "x:ip4set:f"}, {"missing host part in bind address `/5'"}},
      {many_b, {"too many addresses to listen on (20 max)"}},
      // -t (the rbldnsd messages, including its checks' order)
      {with_basics({"-t", "0"}), {"invalid ttl (-t) value `0'"}},
      {with_basics({"-t", "0:5"}), {"invalid ttl (-t) value `0:5'"}},
      {with_basics({"-t", "0:0:0"}), {"invalid ttl (-t) value `0:0:0'"}},
      {with_basics({"-t", "1x"}), {"invalid ttl (-t) value `1x'"}},
      {with_basics({"-t", ""}), {"invalid ttl (-t) value `'"}},
      {with_basics({"-t", "-5"}), {"invalid ttl (-t) value `-5'"}},
      {with_basics({"-t", "+5"}), {"invalid ttl (-t) value `+5'"}},
      {with_basics({"-t", " 5"}), {"invalid ttl (-t) value ` 5'"}},
      {with_basics({"-t", "5 m"}), {"invalid ttl (-t) value `5 m'"}},
      {with_basics({"-t", "5mm"}), {"invalid ttl (-t) value `5mm'"}},
      {with_basics({"-t", "1.5"}), {"invalid ttl (-t) value `1.5'"}},
      {with_basics({"-t", "0x10"}), {"invalid ttl (-t) value `0x10'"}},
      {with_basics({"-t", "1w1"}), {"invalid ttl (-t) value `1w1'"}},
      {with_basics({"-t", "4294967296"}), {"invalid ttl (-t) value `4294967296'"}},
      {with_basics({"-t", "71582789m"}), {"invalid ttl (-t) value `71582789m'"}},
      {with_basics({"-t", "x:1:1:1"}), {"invalid ttl (-t) value `x:1:1:1'"}},
      {with_basics({"-t", "1:x"}), {"invalid minttl (-t) value `1:x'"}},
      {with_basics({"-t", "5:-1"}), {"invalid minttl (-t) value `5:-1'"}},
      {with_basics({"-t", "5: 10"}), {"invalid minttl (-t) value `5: 10'"}},
      {with_basics({"-t", "1:1:x"}), {"invalid maxttl (-t) value `1:1:x'"}},
      {with_basics({"-t", "1::x"}), {"invalid maxttl (-t) value `1::x'"}},
      {with_basics({"-t", "1:1:1:1"}), {"invalid value for -t (ttl) option: `1:1:1:1'"}},
      {with_basics({"-t", "::::"}), {"invalid value for -t (ttl) option: `::::'"}},
      {with_basics({"-t", "::2m"}), {"inconsistent def:min:max ttl: 2100:0:120"}},
      {with_basics({"-t", "10:20"}), {"inconsistent def:min:max ttl: 10:20:0"}},
      {with_basics({"-t", "10:5:8"}), {"inconsistent def:min:max ttl: 10:5:8"}},
      {with_basics({"-t", "1h:2h:3h"}), {"inconsistent def:min:max ttl: 3600:7200:10800"}},
      {with_basics({"-t", "2h:1h:1h"}), {"inconsistent def:min:max ttl: 7200:3600:3600"}},
      {with_basics({"-t", "3::2"}), {"inconsistent def:min:max ttl: 3:0:2"}},
      {with_basics({"-t", "5 :10"}), {"inconsistent def:min:max ttl: 5:10:0"}},
      // checked in order: a bad -t before the -b syntax (rbldnsd checks -b after getopt)
      {{"-b", "/5", "-t", "0"}, {"invalid ttl (-t) value `0'"}},
      {with_basics({"-c", "x"}), {"invalid check interval (-c) value `x'"}},
      {with_basics({"-c", ""}), {"invalid check interval (-c) value `'"}},
      {with_basics({"-c", "5x"}), {"invalid check interval (-c) value `5x'"}},
      {with_basics({"-F", "foo"}), {"log facility foo is not valid"}},
      {with_basics({"-F", "LOCAL3"}), {"log facility LOCAL3 is not valid"}},
      // extension modules: refused at once, as by Debian's rbldnsd
      {with_basics({"-x", "ext.so"}), {"extension support is not compiled in"}},
      {with_basics({"-X", "arg"}), {"extension support is not compiled in"}},
      {{"-X", "arg"}, {"extension support is not compiled in"}},
      // long options
      {with_basics({"--workers", "0"}), {"invalid --workers value `0' (1..1024)"}},
      {with_basics({"--workers", "1025"}), {"invalid --workers value `1025' (1..1024)"}},
      {with_basics({"--workers", "two"}), {"invalid --workers value `two' (1..1024)"}},
      {with_basics({"--workers", "2m"}), {"invalid --workers value `2m' (1..1024)"}},
      {with_basics({"--tcp-max-conns", "0"}), {"invalid --tcp-max-conns value `0' (1..65536)"}},
      {with_basics({"--tcp-max-conns", "65537"}), {"invalid --tcp-max-conns value `65537' (1..65536)"}},
      {with_basics({"--tcp-idle-timeout", "0"}), {"invalid --tcp-idle-timeout value `0' (1s..86400s)"}},
      {with_basics({"--tcp-idle-timeout", "2d"}), {"invalid --tcp-idle-timeout value `2d' (1s..86400s)"}},
      {with_basics({"--tcp-idle-timeout", "x"}), {"invalid --tcp-idle-timeout value `x' (1s..86400s)"}},
      {with_basics({"--db", ""}), {"invalid --db value `' (a directory is needed)"}},
      {with_basics({"--feeds", ""}), {"invalid --feeds value `' (a file is needed)"}},
      {with_basics({"--feeds", "f.toml", "--update-keys", ""}),
       {"invalid --update-keys value `' (a file is needed)"}},
      {with_basics({"--update-keys", "k.conf"}),
       {"--update-keys needs --feeds (the zones that accept updates)"}},
      {{"-b", "127.0.0.1/0"}, {"no zone(s) to service specified (-h for help)"}},
  };
  for (const ErrorCase& k : cases) {
    std::string text;
    for (const auto& a : k.args) text += "'" + a + "' ";
    INFO(text);
    const ParseResult r = parse(k.args);
    CHECK_FALSE(r.run);
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.errors == k.errors);
  }
}

TEST_CASE("config: parse_time_value") {
  struct Case {
    const char* text;
    std::size_t used;
    std::uint32_t seconds;
  };
  const std::vector<Case> cases = {
      {"0", 1, 0},
      {"35m", 3, 2100},
      {"2h", 2, 7200},
      {"1d", 2, 86400},
      {"1w", 2, 604800},
      {"7S", 2, 7},
      {"5 ", 2, 5},
      {"5\t:", 2, 5},
      {"5:1", 1, 5},
      {"5x", 1, 5},
      {"4294967295", 10, 4294967295U},
      {"x", 0, 0},
      {"", 0, 0},
      {"4294967296", 0, 0},
      {"4294967295s", 11, 4294967295U},
      {"4294967295m", 0, 0},
      {"-1", 0, 0},
  };
  for (const Case& k : cases) {
    INFO(k.text);
    std::uint32_t v = 12345;
    const std::size_t n = fastrbl::dnsd::parse_time_value(k.text, &v);
    CHECK(n == k.used);
    if (n != 0) CHECK(v == k.seconds);
  }
}

TEST_CASE("config: split_bind_text") {
  struct Case {
    const char* text;
    bool ok;
    const char* host;
    const char* service;
  };
  const std::vector<Case> cases = {
      {"127.0.0.1/5353", true, "127.0.0.1", "5353"},
      {"127.0.0.1", true, "127.0.0.1", "53"},
      {"127.0.0.1/", true, "127.0.0.1", "53"},
      {"::1/5353", true, "::1", "5353"},
      {"::", true, "::", "53"},
      {"localhost/domain", true, "localhost", "domain"},
      {"127.0.0.1/5399/1", true, "127.0.0.1", "5399/1"},  // getaddrinfo rejects the service
      {"/5353", false, "", ""},
      {"", false, "", ""},
  };
  for (const Case& k : cases) {
    INFO(k.text);
    std::string host;
    std::string service;
    CHECK(fastrbl::dnsd::split_bind_text(k.text, &host, &service) == k.ok);
    if (k.ok) {
      CHECK(host == k.host);
      CHECK(service == k.service);
    }
  }
}

TEST_CASE("config: --feeds brings its zones, so no zone spec is needed") {
  const ParseResult r = parse({"-b", "127.0.0.1/0", "--feeds", "f.toml", "--update-keys", "k.conf"});
  REQUIRE(r.run);
  CHECK(r.errors.empty());
  CHECK(r.config.zones.empty());
  CHECK(r.config.feeds == "f.toml");
}
