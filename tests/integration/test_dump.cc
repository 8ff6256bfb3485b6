// `fastrbld -d` against Debian's `rbldnsd -d` (skipped when /usr/sbin/rbldnsd is missing):
// both run on the same files in one directory, and their dumps are compared after the
// normalisation docs/differences.md describes: the header lines are ours, and entries are
// compared by the answers they imply (DumpModel: rbldnsd's dataset rules over the dumped
// names), not line by line, because our indexes list resolved entries. SOA/NS lines and
// generic records must be the same; stderr too, with our program name.

#include "server_process.h"
#include "tests/support/dump_model.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace fastrbl::test {
namespace {

using testing::DumpModel;

constexpr const char* kRbldnsd = "/usr/sbin/rbldnsd";

// Skips (with a warning) when Debian's rbldnsd is not installed.
bool have_rbldnsd() {
  if (::access(kRbldnsd, X_OK) == 0) return true;
  WARN("skipped: " << kRbldnsd << " is not installed");
  return false;
}

struct Dir {
  std::string path = make_temp_dir();
  ~Dir() { remove_dir(path); }
};

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size())
    s.replace(p, from.size(), to);
  return s;
}

struct Pair {
  RunResult ours, theirs;
};

// Runs both with `-d` and `args` in `dir`; checks exit codes and stderr.
Pair run_both(const std::string& dir, const std::vector<std::string>& args) {
  std::vector<std::string> a = {"-d"};
  a.insert(a.end(), args.begin(), args.end());
  Pair p{run_fastrbld(a, dir), run_program(kRbldnsd, a, dir)};
  INFO("fastrbld stderr: " << p.ours.err << "rbldnsd stderr: " << p.theirs.err);
  CHECK(p.ours.exit_code == p.theirs.exit_code);
  CHECK(p.ours.err == replace_all(p.theirs.err, "rbldnsd: ", "fastrbld: "));
  return p;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  for (std::size_t pos = 0; pos < s.size();) {
    std::size_t nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

// The header lines, and a `$ORIGIN` line for each command-line zone.
void check_shape(const std::string& ours, const std::string& theirs, const std::vector<std::string>& zones) {
  const std::vector<std::string> o = lines(ours), t = lines(theirs);
  REQUIRE(o.size() >= 2);
  REQUIRE(t.size() >= 2);
  CHECK(o[0].rfind("; zone dump made ", 0) == 0);
  CHECK(t[0].rfind("; zone dump made ", 0) == 0);
  CHECK(o[0].size() == t[0].size());
  CHECK(o[1].rfind("; fastrbl ", 0) == 0);
  for (const std::string& z : zones) {
    INFO("zone " << z);
    CHECK(std::find(o.begin(), o.end(), "$ORIGIN\t" + z) != o.end());
    CHECK(std::find(t.begin(), t.end(), "$ORIGIN\t" + z) != t.end());
  }
}

void check_ip4(const DumpModel& ours, const DumpModel& theirs, const std::string& zone) {
  std::vector<std::uint32_t> probes = ours.ip4_probes(zone);
  const std::vector<std::uint32_t> more = theirs.ip4_probes(zone);
  probes.insert(probes.end(), more.begin(), more.end());
  REQUIRE(!probes.empty());
  for (const std::uint32_t a : probes) {
    INFO(zone << " " << DumpModel::dotted(a));
    CHECK(ours.ip4(zone, a) == theirs.ip4(zone, a));
  }
}

const char* const kIp4Set =
    "$SOA 1w ns1.ex.com admin.ex.com 0 2h 2h 1w 1h\n$NS 1d ns1.ex.com ns2.ex.com\n$TTL 600\n"
    ":127.0.0.2:Listed $ see http://x/$\n$0 zero\n127.0.0.2\n10.0.0.0/8\n!10.1.0.0/16\n10.1.2.0/24 :3:x $0 "
    "$=\n"
    "!10.1.2.3\n192.168.1.0/25\n172.16.0.0/12\n!172.20.0.0/14\n172.21.3.4\n1.2.3.4-1.2.3.10\n5.6.7.8 :4\n"
    "5.6.7.8 :5:other\n11.0.0.0/23\n!11.0.1.128/25\n";

TEST_CASE("dump vs rbldnsd: ip4set, ip4trie and ip4tset imply the same answers") {
  if (!have_rbldnsd()) return;
  Dir dir;
  write_file(dir.path + "/set", kIp4Set);
  write_file(dir.path + "/trie",
             ":2:trie $\n10.0.0.0/8\n!10.1.0.0/16\n10.1.2.0/23 :3:sub\n192.168.0.0/30\n"
             "100.0.0.0/6 :9:all\n");
  write_file(dir.path + "/tset", ":1.2.3.4:tx $\n1.2.3.5\n1.2.3.4\n9.9.9.9\n1.2.3.5\n");
  const Pair p = run_both(dir.path, {"bl.ex:ip4set:set", "t.ex:ip4trie:trie", "ts.ex:ip4tset:tset"});
  REQUIRE(p.ours.exit_code == 0);
  check_shape(p.ours.out, p.theirs.out, {"bl.ex.", "t.ex.", "ts.ex."});
  const DumpModel ours(p.ours.out), theirs(p.theirs.out);
  CHECK(ours.zone_lines() == theirs.zone_lines());
  CHECK(ours.zone_lines().size() == 3);
  for (const char* z : {"bl.ex.", "t.ex.", "ts.ex."}) check_ip4(ours, theirs, z);
}

TEST_CASE("dump vs rbldnsd: rbldnsd's ip4trie dump drops the rest of a range after a hole") {
  // A documented difference (docs/differences.md): rbldnsd serves 101.3.0.1 and 103.0.0.1
  // as listed here (checked with dig), but its dump stops after 101.1.255.255.
  if (!have_rbldnsd()) return;
  Dir dir;
  write_file(dir.path + "/trie",
             ":2:trie $\n10.0.0.0/8\n!10.1.0.0/16\n10.1.2.0/23 :3:sub\n192.168.0.0/30\n"
             "100.0.0.0/6 :9:all\n!101.2.0.0/16\n");
  const Pair p = run_both(dir.path, {"t.ex:ip4trie:trie"});
  REQUIRE(p.ours.exit_code == 0);
  const DumpModel ours(p.ours.out), theirs(p.theirs.out);
  for (const std::uint32_t a : {0x64000000u, 0x65010001u}) {
    CHECK(ours.ip4("t.ex.", a) == theirs.ip4("t.ex.", a));
    CHECK(!ours.ip4("t.ex.", a).empty());
  }
  CHECK(ours.ip4("t.ex.", 0x65020001u).empty());
  CHECK(theirs.ip4("t.ex.", 0x65020001u).empty());
  for (const std::uint32_t a : {0x65030001u, 0x67000001u}) {
    CHECK(ours.ip4("t.ex.", a) == std::vector<std::string>{"A 127.0.0.9 2100", "TXT \"all\" 2100"});
    CHECK(theirs.ip4("t.ex.", a).empty());
  }
}

TEST_CASE("dump vs rbldnsd: ip6trie and ip6tset imply the same answers") {
  if (!have_rbldnsd()) return;
  Dir dir;
  // No `$` in the ip6trie TXT: rbldnsd's dump gives ranges odd subjects (2001:db8:: for
  // 2001:db8:100::/40); ours uses each block's first address.
  write_file(dir.path + "/trie",
             ":2:six\n2001:db8::/32\n!2001:db8:1::/48\n2001:db8:1:2::/63 :3:sub\n"
             "2001:db8:ff::1 :4:one\n2002::/15\n");
  write_file(dir.path + "/tset", ":4:tset $\n2001:20fe:23:41ed\n!2001:20fe:23:41ed::2\n2001:20fe:23:41ee\n");
  const Pair p = run_both(dir.path, {"t6.ex:ip6trie:trie", "ts6.ex:ip6tset:tset"});
  REQUIRE(p.ours.exit_code == 0);
  check_shape(p.ours.out, p.theirs.out, {"t6.ex.", "ts6.ex."});
  const DumpModel ours(p.ours.out), theirs(p.theirs.out);
  const std::vector<std::pair<const char*, const char*>> probes = {
      {"t6.ex.", "2001:db8::1"},
      {"t6.ex.", "2001:db8:1::5"},
      {"t6.ex.", "2001:db8:1:2::9"},
      {"t6.ex.", "2001:db8:1:3:ffff::"},
      {"t6.ex.", "2001:db8:1:4::"},
      {"t6.ex.", "2001:db8:ff::1"},
      {"t6.ex.", "2001:db8:ff::2"},
      {"t6.ex.", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"t6.ex.", "2001:db9::"},
      {"t6.ex.", "2002::"},
      {"t6.ex.", "2003:ffff::1"},
      {"t6.ex.", "2004::"},
      {"ts6.ex.", "2001:20fe:23:41ed::1"},
      {"ts6.ex.", "2001:20fe:23:41ed::2"},
      {"ts6.ex.", "2001:20fe:23:41ee:1:2:3:4"},
      {"ts6.ex.", "2001:20fe:23:41ef::"},
  };
  std::size_t listed = 0;
  for (const auto& [zone, text] : probes) {
    std::array<std::uint8_t, 16> a{};
    REQUIRE(::inet_pton(AF_INET6, text, a.data()) == 1);
    INFO(zone << " " << text);
    CHECK(ours.ip6(zone, a) == theirs.ip6(zone, a));
    if (!ours.ip6(zone, a).empty()) ++listed;
  }
  CHECK(listed == 10);
}

TEST_CASE("dump vs rbldnsd: dnset, generic, combined, several zones and an acl") {
  if (!have_rbldnsd()) return;
  Dir dir;
  write_file(dir.path + "/dn",
             "$TTL 300\n$= base [$]\n:127.0.0.3:Listed \"q\"\nexample.com\n*.wild.com :4:wild $\n"
             ".both.org\n!ex.both.org\n!*.sub.both.org\nspecial$.com\nnoval.net :5\ntwo.net :6:a\n"
             "two.net :7:b\n");
  write_file(dir.path + "/gen",
             "$SOA 1w ns1.gen.ex admin.ex.com 42 2h 2h 1w 1h\n$NS 1d ns1.gen.ex\n$TTL 1h\n"
             "@ A 127.0.0.8\n@ 300 TXT \"apex text\"\n@ MX 10 mx.example.com\nns1 A 192.0.2.1\n"
             "www TXT with \"inner\" quotes $ here\nsub.deep MX 20 mx2\n");
  write_file(dir.path + "/comb",
             "$NS 1w ns1.bl.ex ns2.ex.com\n$SOA 1w ns1.ex.com admin.ex.com 0 2h 2h 1w 1h\n"
             "$TTL 900\n$DATASET ip4set:proxy proxies @\n:2:Open proxy $\n127.0.0.2\n"
             "$DATASET dnset:dom dom.sub\nbad.com :3:bad $\n"
             "$DATASET generic:common proxies relays @\nwww A 127.0.0.8\n");
  write_file(dir.path + "/acl", ":refuse\n127.0.0.0/8\n127.0.0.1 :pass\n10.0.0.0/8 =empty\n");
  write_file(dir.path + "/n", "$NS 1h ns.a.ex\n1.2.3.4\n");
  const Pair p = run_both(dir.path, {"dn.ex:dnset:dn", "gen.ex:generic:gen", "bl.ex:combined:comb",
                                     "a.ex:acl:acl", "a.ex:ip4set:n", "b.a.ex:dnset:dn"});
  REQUIRE(p.ours.exit_code == 0);
  check_shape(p.ours.out, p.theirs.out, {"dn.ex.", "gen.ex.", "bl.ex.", "a.ex.", "b.a.ex."});
  const DumpModel ours(p.ours.out), theirs(p.theirs.out);
  CHECK(ours.zone_lines() == theirs.zone_lines());
  CHECK(ours.generic() == theirs.generic());
  CHECK(ours.generic().size() == 7);  // 4 owners in gen.ex, www in three subzones of bl.ex
  for (const char* zone : {"dn.ex.", "b.a.ex.", "dom.sub.bl.ex."}) {
    for (const char* n : {"example.com", "a.example.com", "wild.com", "a.wild.com", "a.b.wild.com",
                          "both.org", "x.both.org", "ex.both.org", "y.ex.both.org", "sub.both.org",
                          "z.sub.both.org", "special$.com", "noval.net", "two.net", "bad.com", "other.net"}) {
      INFO(zone << " " << n);
      CHECK(ours.name(zone, n) == theirs.name(zone, n));
    }
  }
  CHECK(!ours.name("dn.ex.", "two.net").empty());
  CHECK(!ours.name("dom.sub.bl.ex.", "bad.com").empty());
  for (const char* zone : {"bl.ex.", "proxies.bl.ex.", "a.ex."}) check_ip4(ours, theirs, zone);
  CHECK(!ours.ip4("proxies.bl.ex.", 0x7f000002).empty());
}

TEST_CASE("dump vs rbldnsd: -e, -t and -w apply, -b binds nothing, simple data dumps the same lines") {
  if (!have_rbldnsd()) return;
  Dir dir;
  write_file(dir.path + "/a", "$TTL 50\n1.2.3.4/24\n");
  write_file(dir.path + "/b", "$TTL 5000\n:3:Listed $\n1.2.3.4\n");
  // A port that is taken: binding it would fail.
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  const Endpoint e = loopback(AF_INET, 0);
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&e.addr), e.len) == 0);
  sockaddr_in in{};
  socklen_t len = sizeof in;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&in), &len) == 0);
  const std::string bind = "127.0.0.1/" + std::to_string(ntohs(in.sin_port));
  const Pair p = run_both(
      "/", {"-b", bind, "-e", "-t", "150:100:200", "-w", dir.path, "a.ex:ip4set:a", "b.ex:ip4set:b"});
  ::close(fd);
  REQUIRE(p.ours.exit_code == 0);
  const std::vector<std::string> o = lines(p.ours.out), t = lines(p.theirs.out);
  REQUIRE(o.size() > 2);
  REQUIRE(t.size() > 2);
  CHECK(std::vector<std::string>(o.begin() + 2, o.end()) == std::vector<std::string>(t.begin() + 2, t.end()));
  CHECK(std::vector<std::string>(o.begin() + 2, o.end()) ==
        std::vector<std::string>{"$ORIGIN\ta.ex.", "$TTL 100", "*.3.2.1\tA\t127.0.0.2", "$ORIGIN\tb.ex.",
                                 "$TTL 200", "4.3.2.1\tA\t127.0.0.3", "\tTXT\t\"Listed 1.2.3.4\""});
}

TEST_CASE("dump vs rbldnsd: a load error fails as a start would, with rbldnsd's first message") {
  if (!have_rbldnsd()) return;
  Dir dir;
  write_file(dir.path + "/bad", "xx\n1.2.3.4\n");
  const RunResult ours = run_fastrbld({"-d", "x.ex:ip4set:missing"}, dir.path);
  const RunResult theirs = run_program(kRbldnsd, {"-d", "x.ex:ip4set:missing"}, dir.path);
  CHECK(ours.exit_code == 1);
  CHECK(theirs.exit_code == 1);
  CHECK(ours.out.empty());
  CHECK(ours.err == "fastrbld: file missing: unable to open file: No such file or directory\n");
  CHECK(replace_all(lines(theirs.err).at(0), "rbldnsd: ", "fastrbld: ") + "\n" == ours.err);
  // A bad line is only a warning, for both.
  run_both(dir.path, {"x.ex:ip4set:bad"});
}

}  // namespace
}  // namespace fastrbl::test
