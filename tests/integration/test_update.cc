// Pushed updates end to end (issue 6, docs/UPDATE.md): the real fastrbld with --db,
// --feeds and --update-keys, BIND's nsupdate (bind9-dnsutils) adding and deleting entries,
// answered within a second and still there after a restart; unsigned, badly signed, stale
// and out-of-zone updates refused with their rcode, changing nothing; `fastrblctl feed
// push` round trip; and without --update-keys an UPDATE gets what it got before (NOTIMP,
// as Debian's rbldnsd answers it).

#include "core/tsig.h"
#include "dns_client.h"
#include "server_process.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <ctime>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace fastrbl::test;

namespace {

constexpr const char* kNsupdate = "/usr/bin/nsupdate";
constexpr const char* kRbldnsd = "/usr/sbin/rbldnsd";
constexpr const char* kSecret = "qbq4I0r5v3zw3lu8gDWP3wBJ0YBbPxbMkjkBh/f9Ins=";

// The feed config, key file and store live in their own directory, so that a second
// server (the restart) finds them.
struct FeedDir {
  std::string dir = make_temp_dir();
  FeedDir() {
    ::chmod(dir.c_str(), 0777);  // the server runs as nobody: it writes the store and renders
    write_file(dir + "/feeds.toml", R"([[dataset]]
name = "names"
type = "dnset"
zone = "dbl.example"
output = "names.dnset"
soa = "60 ns.dbl.example. hostmaster.dbl.example. 1 3600 600 86400 60"
ns = ["60 ns.dbl.example."]

[[dataset]]
name = "ips"
type = "ip4trie"
zone = "ips.example"
output = "ips.ip4trie"
)");
    write_file(dir + "/keys.conf", std::string("# tsig-keygen -a hmac-sha256 upd-key\nkey \"upd-key\" "
                                               "{\n\talgorithm hmac-sha256;\n\tsecret \"") +
                                       kSecret + "\";\n};\n");
  }
  ~FeedDir() { remove_dir(dir); }
  ServerOptions options(bool with_keys = true) const {
    ServerOptions o;
    o.args = {"--workers", "1", "--db", dir + "/db", "--feeds", dir + "/feeds.toml"};
    if (with_keys) {
      o.args.push_back("--update-keys");
      o.args.push_back(dir + "/keys.conf");
    }
    return o;
  }
};

std::uint16_t g_id = 100;

// A UDP port that is free right now (rbldnsd prints the port it was given, not the bound one).
std::uint16_t free_udp_port() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, static_cast<const sockaddr*>(static_cast<const void*>(&sin)), sizeof sin) == 0);
  socklen_t len = sizeof sin;
  REQUIRE(::getsockname(fd, static_cast<sockaddr*>(static_cast<void*>(&sin)), &len) == 0);
  ::close(fd);
  return ntohs(sin.sin_port);
}

// The rcode and A records of a query for `name`.
struct Answer {
  int rcode = -1;
  std::vector<std::string> a;
  std::vector<std::string> txt;
};

Answer ask(const Endpoint& ep, const std::string& name) {
  Answer out;
  const std::uint16_t id = ++g_id;
  auto reply = udp_exchange(ep, make_query(id, name, LDNS_RR_TYPE_ANY));
  if (!reply) return out;
  Packet p = parse(*reply);
  if (!p) return out;
  out.rcode = ldns_pkt_get_rcode(p.get());
  out.a = rdata_of(ldns_pkt_answer(p.get()), LDNS_RR_TYPE_A);
  out.txt = rdata_of(ldns_pkt_answer(p.get()), LDNS_RR_TYPE_TXT);
  return out;
}

// Polls `name` until `pred` holds; returns the milliseconds it took, or -1 after `limit`.
template <class Pred>
long until(const Endpoint& ep, const std::string& name, Pred pred, long limit_ms = 1000) {
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    const Answer a = ask(ep, name);
    const long ms = static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
            .count());
    if (pred(a)) return ms;
    if (ms > limit_ms) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

RunResult nsupdate(const FeedDir& fd, const std::vector<std::string>& auth, std::uint16_t port,
                   const std::string& commands) {
  REQUIRE(::access(kNsupdate, X_OK) == 0);  // bind9-dnsutils (etc/install-deps.sh)
  const std::string script = fd.dir + "/nsupdate.txt";
  write_file(script, "server 127.0.0.1 " + std::to_string(port) + "\n" + commands + "send\n");
  std::vector<std::string> args = auth;
  args.push_back(script);
  return run_program(kNsupdate, args, fd.dir);
}

// An UPDATE for `zone` adding `owner` A 127.0.0.3, built by ldns.
Bytes update_message(const std::string& zone, const std::string& owner) {
  ldns_rdf* z = ldns_dname_new_frm_str(zone.c_str());
  ldns_rr_list* up = ldns_rr_list_new();
  ldns_rr* rr = nullptr;
  REQUIRE(ldns_rr_new_frm_str(&rr, (owner + " 300 IN A 127.0.0.3").c_str(), 0, nullptr, nullptr) ==
          LDNS_STATUS_OK);
  ldns_rr_list_push_rr(up, rr);
  ldns_pkt* p = ldns_update_pkt_new(z, LDNS_RR_CLASS_IN, nullptr, up, nullptr);
  ldns_rr_list_deep_free(up);
  ldns_pkt_set_id(p, ++g_id);
  std::uint8_t* buf = nullptr;
  std::size_t n = 0;
  REQUIRE(ldns_pkt2wire(&buf, p, &n) == LDNS_STATUS_OK);
  Bytes v(buf, buf + n);
  free(buf);  // NOLINT: ldns allocates with malloc
  ldns_pkt_free(p);
  return v;
}

}  // namespace

TEST_CASE("update: nsupdate add and delete are answered within 1 s and survive a restart", "[update]") {
  FeedDir fd;
  {
    ServerProcess server(fd.options());
    const Endpoint ep = server.endpoint();
    CHECK(ask(ep, "evil.com.dbl.example").rcode == LDNS_RCODE_NXDOMAIN);

    RunResult r = nsupdate(fd, {"-k", fd.dir + "/keys.conf"}, server.port(),
                           "zone dbl.example\nupdate add evil.com.dbl.example 300 A 127.0.0.3\n"
                           "update add evil.com.dbl.example 300 TXT \"listed by push\"\n"
                           "update add gone.com.dbl.example 300 A 127.0.0.2\n");
    INFO(r.out << r.err << server.output());
    REQUIRE(r.exit_code == 0);
    const long ms = until(ep, "evil.com.dbl.example", [](const Answer& a) {
      return a.a == std::vector<std::string>{"127.0.0.3"} &&
             a.txt == std::vector<std::string>{"\"listed by push\""};
    });
    CHECK(ms >= 0);
    CHECK(ms <= 1000);

    // An address entry in the ip4trie zone, with nsupdate -y.
    r = nsupdate(fd, {"-y", std::string("hmac-sha256:upd-key:") + kSecret}, server.port(),
                 "zone ips.example\nupdate add 4.3.2.10.ips.example 300 A 127.0.0.4\n");
    REQUIRE(r.exit_code == 0);
    CHECK(until(ep, "4.3.2.10.ips.example",
                [](const Answer& a) { return a.a == std::vector<std::string>{"127.0.0.4"}; }) >= 0);

    // Delete: NXDOMAIN within a second.
    r = nsupdate(fd, {"-k", fd.dir + "/keys.conf"}, server.port(),
                 "zone dbl.example\nupdate delete gone.com.dbl.example\n");
    REQUIRE(r.exit_code == 0);
    const long del_ms =
        until(ep, "gone.com.dbl.example", [](const Answer& a) { return a.rcode == LDNS_RCODE_NXDOMAIN; });
    CHECK(del_ms >= 0);
    CHECK(del_ms <= 1000);
    CHECK(server.wait_for("update from 127.0.0.1: NOERROR: key upd-key, dataset names: 0 added, 1 deleted"));
    CHECK(server.stop() == 0);
  }
  // Restart: the entries are in LMDB (and healed into the file if it were stale).
  ::unlink((fd.dir + "/names.dnset").c_str());
  ServerProcess again(fd.options());
  const Endpoint ep = again.endpoint();
  const Answer a = ask(ep, "evil.com.dbl.example");
  CHECK(a.a == std::vector<std::string>{"127.0.0.3"});
  CHECK(ask(ep, "gone.com.dbl.example").rcode == LDNS_RCODE_NXDOMAIN);
  CHECK(ask(ep, "4.3.2.10.ips.example").a == std::vector<std::string>{"127.0.0.4"});
  CHECK(again.count("names.dnset did not match the LMDB feed entries: rendered again") == 1);
}

TEST_CASE("update: fastrbld -d --feeds dumps the feed zones as rendered", "[update]") {
  FeedDir fd;
  {
    ServerProcess server(fd.options());
    const RunResult r = nsupdate(fd, {"-k", fd.dir + "/keys.conf"}, server.port(),
                                 "zone dbl.example\nupdate add dumped.com.dbl.example 300 A 127.0.0.3\n");
    REQUIRE(r.exit_code == 0);
    CHECK(until(server.endpoint(), "dumped.com.dbl.example",
                [](const Answer& a) { return a.a == std::vector<std::string>{"127.0.0.3"}; }) >= 0);
    CHECK(server.stop() == 0);
  }
  const RunResult d = run_fastrbld({"-d", "--feeds", fd.dir + "/feeds.toml"}, fd.dir);
  INFO(d.err);
  CHECK(d.exit_code == 0);
  CHECK(d.out.find("$ORIGIN\tdbl.example.") != std::string::npos);
  CHECK(d.out.find("\ndumped.com\tA\t127.0.0.3") != std::string::npos);
  CHECK(d.out.find("$ORIGIN\tips.example.") != std::string::npos);
}

TEST_CASE("update: bad key, bad secret, unsigned, stale and out-of-zone updates change nothing", "[update]") {
  FeedDir fd;
  ServerProcess server(fd.options());
  const Endpoint ep = server.endpoint();
  const std::string add = "zone dbl.example\nupdate add bad.com.dbl.example 300 A 127.0.0.3\n";

  RunResult r = nsupdate(fd, {"-y", "hmac-sha256:upd-key:c2VjcmV0c2VjcmV0c2VjcmV0"}, server.port(), add);
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("NOTAUTH(BADSIG)") != std::string::npos);
  r = nsupdate(fd, {"-y", std::string("hmac-sha256:somebody:") + kSecret}, server.port(), add);
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("NOTAUTH(BADKEY)") != std::string::npos);
  r = nsupdate(fd, {}, server.port(), add);
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("update failed: REFUSED") != std::string::npos);
  r = nsupdate(fd, {"-k", fd.dir + "/keys.conf"}, server.port(),
               "zone dbl.example\nupdate add bad.com.elsewhere.example 300 A 127.0.0.3\n");
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("update failed: NOTZONE") != std::string::npos);
  r = nsupdate(fd, {"-k", fd.dir + "/keys.conf"}, server.port(),
               "zone bl.example\nupdate add bad.bl.example 300 A 127.0.0.3\n");  // served, not feed-backed
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("update failed: NOTAUTH") != std::string::npos);

  // Stale: signed 20 minutes ago (nsupdate always signs with the current time).
  auto key = fastrbl::core::tsig_key_from_spec(std::string("hmac-sha256:upd-key:") + kSecret);
  REQUIRE(key.is_ok());
  Bytes stale = update_message("dbl.example.", "bad.com.dbl.example.");
  fastrbl::core::TsigSignParams p;
  p.time_signed = static_cast<std::uint64_t>(std::time(nullptr) - 1200);
  const std::vector<std::uint8_t> mac = fastrbl::core::sign_tsig(stale, key.value(), p);
  auto reply = udp_exchange(ep, stale);
  REQUIRE(reply);
  CHECK(((*reply)[3] & 0x0f) == 9);  // NOTAUTH
  fastrbl::core::TsigRecord rec;
  REQUIRE(fastrbl::core::find_tsig(*reply, &rec) == fastrbl::core::TsigFind::kFound);
  CHECK(rec.error == 18);  // BADTIME
  CHECK(rec.other.size() == 6);
  const fastrbl::core::TsigCheck c =
      fastrbl::core::verify_tsig(*reply, rec, std::span(&key.value(), 1), std::time(nullptr) - 1200, mac);
  CHECK(c.error == fastrbl::core::TsigError::kNone);  // signed with the key, at the request's time

  // Nothing changed: not answered, and nothing was committed or rendered after start.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(ask(ep, "bad.com.dbl.example").rcode == LDNS_RCODE_NXDOMAIN);
  CHECK(server.wait_for("update from 127.0.0.1 refused:", 6));
  CHECK(server.count("update from 127.0.0.1 refused: NOTAUTH/BADTIME") == 1);
  CHECK(server.count("key upd-key, dataset") == 0);  // no change was applied
  CHECK(server.count("serving generation") == 0);    // and no reload served a new one
}

TEST_CASE("update: fastrblctl feed push round trip", "[update][push]") {
  FeedDir fd;
  ServerProcess server(fd.options());
  const Endpoint ep = server.endpoint();
  std::string batch = "# pushed\nadd one.com 127.0.0.5:first one\nadd two.com\n";
  for (int i = 0; i < 150; ++i) batch += "add h" + std::to_string(i) + ".bulk.com :127.0.0.3:bulk\n";
  batch += "del two.com\n";
  write_file(fd.dir + "/batch.txt", batch);
  const std::string ctl = std::string(FASTRBL_BINARY_DIR) + "/dnsd/fastrblctl";
  RunResult r = run_program(
      ctl,
      {"feed", "push", "--zone", "dbl.example", "--server", "127.0.0.1:" + std::to_string(server.port()),
       "--key", fd.dir + "/keys.conf", fd.dir + "/batch.txt"},
      fd.dir);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("153 change(s) applied in ") != std::string::npos);
  CHECK(until(ep, "h149.bulk.com.dbl.example",
              [](const Answer& a) { return a.txt == std::vector<std::string>{"\"bulk\""}; }) >= 0);
  CHECK(ask(ep, "one.com.dbl.example").a == std::vector<std::string>{"127.0.0.5"});
  CHECK(ask(ep, "two.com.dbl.example").rcode == LDNS_RCODE_NXDOMAIN);

  // A wrong key: refused, exit 1, nothing applied.
  write_file(fd.dir + "/bad.conf", "key \"upd-key\" { algorithm hmac-sha256; secret \"c2VjcmV0\"; };\n");
  write_file(fd.dir + "/batch2.txt", "add three.com\n");
  r = run_program(
      ctl,
      {"feed", "push", "--zone", "dbl.example", "--server", "127.0.0.1:" + std::to_string(server.port()),
       "--key", fd.dir + "/bad.conf", fd.dir + "/batch2.txt"},
      fd.dir);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("refused: NOTAUTH (TSIG error 16)") != std::string::npos);
  CHECK(ask(ep, "three.com.dbl.example").rcode == LDNS_RCODE_NXDOMAIN);
  // Locally (--db, no --server): a prefix, which has no DNS name; served after SIGHUP.
  write_file(fd.dir + "/batch3.txt", "add 10.0.0.0/8 127.0.0.9\n");
  r = run_program(ctl,
                  {"feed", "push", "--zone", "ips.example", "--config", fd.dir + "/feeds.toml", "--db",
                   fd.dir + "/db", fd.dir + "/batch3.txt"},
                  fd.dir);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("dataset ips: 1 added, 0 deleted") != std::string::npos);
  ::kill(server.pid(), SIGHUP);
  CHECK(until(
            ep, "1.2.3.10.ips.example",
            [](const Answer& a) { return a.a == std::vector<std::string>{"127.0.0.9"}; }, 5000) >= 0);
  // Usage errors: exit 2.
  r = run_program(ctl, {"feed", "push", "--server", "127.0.0.1:53", fd.dir + "/batch2.txt"}, fd.dir);
  CHECK(r.exit_code == 2);
}

TEST_CASE("update: without --update-keys an UPDATE is answered as before (NOTIMP, as rbldnsd)", "[update]") {
  FeedDir fd;
  ServerProcess server(fd.options(false));
  const Bytes msg = update_message("dbl.example.", "x.dbl.example.");
  auto reply = udp_exchange(server.endpoint(), msg);
  REQUIRE(reply);
  REQUIRE(reply->size() >= 12);
  CHECK((*reply)[2] == 0x80);  // QR only: opcode 0, RD cleared
  CHECK(((*reply)[3] & 0x0f) == 4);
  if (::access(kRbldnsd, X_OK) == 0) {
    ServerOptions o;
    o.program = kRbldnsd;
    if (::geteuid() == 0) o.args = {"-u", "nobody"};
    o.binds = {"127.0.0.1/" + std::to_string(free_udp_port())};
    ServerProcess rbldnsd(o);
    auto ref = udp_exchange(rbldnsd.endpoint(), msg);
    REQUIRE(ref);
    CHECK(*ref == *reply);
  } else {
    WARN("no " << kRbldnsd << ": not compared");
  }
}
