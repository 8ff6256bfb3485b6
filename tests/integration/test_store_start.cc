// fastrbld --db: the first start compiles the data files into the LMDB store and serves
// from its images; a restart with unchanged files serves from the store without parsing
// text; answers are byte for byte those of a server that parsed the files. A store that
// cannot be opened is reported and the files are served without it.

#include "dns_client.h"
#include "server_process.h"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace fastrbl::test {
namespace {

// As root, fastrbld drops to its default user before loading: the store directory is
// created by that user, so the test directory is writable by all.
struct Dir {
  Dir() { ::chmod(path.c_str(), 0777); }
  ~Dir() { remove_dir(path); }
  std::string path = make_temp_dir();
};

// kDefaultData plus enough addresses that the ip4set image lives in LMDB overflow pages.
std::string ip4_data() {
  std::string d = kDefaultData;
  std::mt19937 gen(7);
  for (int i = 0; i < 3000; ++i) {
    const auto a = static_cast<std::uint32_t>(gen());
    d += std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255) + " :127.0.0." +
         std::to_string(2 + i % 4) + ":v" + std::to_string(i % 5) + " $\n";
  }
  return d;
}

constexpr const char* kDnData = "spam.com\n*.evil.org :127.0.0.4:evil $\n.both.net :5:both\n!x.both.net\n";
constexpr const char* kCombinedData =
    "$DATASET ip4set:p proxies @\n:2:Open proxy $\n127.0.0.2\n10.0.0.0/24 :3:ten $\n"
    "$DATASET generic relays\nwww A 127.0.0.8\nwww TXT \"hello\"\n$DATASET dnset sub.dom\nx.com :5:dn $\n";
constexpr const char* kAclData = "10.0.0.0/8 :refuse\n192.0.2.1 :empty\n";

std::vector<std::string> questions() {
  std::vector<std::string> q = {
      "4.3.2.1.bl.example",     "5.3.2.1.bl.example",   "1.0.0.10.bl.example", "1.0.1.10.bl.example",
      "7.1.168.192.bl.example", "1.168.192.bl.example", "bl.example",          "spam.com.dn.example",
      "a.evil.org.dn.example",  "evil.org.dn.example",  "both.net.dn.example", "x.both.net.dn.example",
      "y.both.net.dn.example",  "net.dn.example",       "dn.example"};
  std::mt19937 gen(7);
  for (int i = 0; i < 200; ++i) {
    const auto a = static_cast<std::uint32_t>(gen());
    const std::uint32_t v = i % 2 == 0 ? a : a ^ 0x100u;
    q.push_back(std::to_string(v & 255) + "." + std::to_string((v >> 8) & 255) + "." +
                std::to_string((v >> 16) & 255) + "." + std::to_string(v >> 24) + ".bl.example");
  }
  return q;
}

std::vector<Bytes> ask_all(const ServerProcess& s) {
  std::vector<Bytes> out;
  std::uint16_t id = 1;
  for (const std::string& name : questions()) {
    for (std::uint16_t qt : {std::uint16_t{1}, std::uint16_t{16}, std::uint16_t{255}}) {
      auto r = udp_exchange(s.endpoint(), make_query(id++, name, qt));
      REQUIRE(r.has_value());
      out.push_back(*r);
    }
  }
  return out;
}

ServerOptions options_for(const Dir& d, std::vector<std::string> args) {
  ServerOptions o;
  o.args = std::move(args);
  o.zone = "bl.example:ip4set:" + d.path + "/a.txt";
  o.more_zones = {"dn.example:dnset:" + d.path + "/d.txt", "dn.example:acl:" + d.path + "/acl.txt",
                  "cb.example:combined:" + d.path + "/c.txt"};
  return o;
}

TEST_CASE("fastrbld --db: compiled on first start, served from the store after a restart", "[store]") {
  Dir d;
  write_file(d.path + "/a.txt", ip4_data());
  write_file(d.path + "/d.txt", kDnData);
  write_file(d.path + "/c.txt", kCombinedData);
  write_file(d.path + "/acl.txt", kAclData);
  const std::string db = d.path + "/db";

  std::vector<Bytes> from_text;
  {
    ServerProcess text(options_for(d, {}));
    from_text = ask_all(text);
    CHECK(text.stop() == 0);
    CHECK(text.output().find("e32/24/16/8=") != std::string::npos);  // parsed
    CHECK(text.output().find("subzones=") != std::string::npos);
  }
  {
    ServerProcess first(options_for(d, {"--db", db}));
    CHECK(ask_all(first) == from_text);
    CHECK(first.stop() == 0);
    INFO(first.output());
    CHECK(first.output().find("LMDB store " + db +
                              ": generation 1 committed: 0 dataset(s) unchanged, 4 compiled, 0 parsed") !=
          std::string::npos);
  }
  {
    ServerProcess again(options_for(d, {"--db", db}));
    CHECK(ask_all(again) == from_text);
    CHECK(again.stop() == 0);
    INFO(again.output());
    CHECK(again.output().find("LMDB store " + db +
                              ": generation 1: 4 dataset(s) unchanged, 0 compiled, 0 parsed") !=
          std::string::npos);
    CHECK(again.output().find("in place") != std::string::npos);
    CHECK(again.output().find("e32/24/16/8=") == std::string::npos);  // the text was not read
    CHECK(again.output().find("e/w=") == std::string::npos);
    CHECK(again.output().find("subzones=") == std::string::npos);
  }
}

TEST_CASE("fastrbld --db: a store that cannot be opened is reported and the files are served", "[store]") {
  Dir d;
  write_file(d.path + "/a.txt", ip4_data());
  write_file(d.path + "/d.txt", kDnData);
  write_file(d.path + "/c.txt", kCombinedData);
  write_file(d.path + "/acl.txt", kAclData);
  write_file(d.path + "/notadir", "x");
  ServerProcess s(options_for(d, {"--db", d.path + "/notadir"}));
  auto r = udp_exchange(s.endpoint(), make_query(1, "4.3.2.1.bl.example", 1));
  CHECK(r.has_value());
  CHECK(s.stop() == 0);
  CHECK(s.output().find("LMDB store " + d.path + "/notadir: cannot create the directory") !=
        std::string::npos);
  CHECK(s.output().find("loading the data files without the store") != std::string::npos);
}

// A plain rbldnsd command line (no --db) serves through the default store: here
// $STATE_DIRECTORY, which the harness points into the server's temporary directory. The
// answers are those of the text path (--no-db), and a restart reads no text.
TEST_CASE("fastrbld without --db serves through the default store, --no-db parses the text", "[store]") {
  Dir d;
  write_file(d.path + "/a.txt", ip4_data());
  write_file(d.path + "/d.txt", kDnData);
  write_file(d.path + "/c.txt", kCombinedData);
  write_file(d.path + "/acl.txt", kAclData);
  const std::string state = d.path + "/state";
  std::vector<Bytes> from_text;
  {
    ServerProcess text(options_for(d, {"--no-db"}));
    from_text = ask_all(text);
    CHECK(text.stop() == 0);
    CHECK(text.output().find("LMDB store") == std::string::npos);
    CHECK(text.output().find("e32/24/16/8=") != std::string::npos);
  }
  for (int round = 1; round <= 2; ++round) {
    ServerOptions o = options_for(d, {});
    o.default_store = true;
    o.env = {"STATE_DIRECTORY=" + state};
    ServerProcess s(o);
    CHECK(ask_all(s) == from_text);
    CHECK(s.stop() == 0);
    INFO(s.output());
    CHECK(s.output().find("LMDB store " + state + ": generation 1" +
                          (round == 1 ? " committed: 0 dataset(s) unchanged, 4 compiled"
                                      : ": 4 dataset(s) unchanged, 0 compiled")) != std::string::npos);
    CHECK((s.output().find("e32/24/16/8=") == std::string::npos) == (round == 2));
  }
  struct stat st {};
  REQUIRE(::stat((state + "/data.mdb").c_str(), &st) == 0);
}

// A default store that cannot be written (here a directory that is not the serving user's
// and not empty) is reported, and the files are served as with --no-db.
TEST_CASE("fastrbld: a default store that cannot be opened falls back to the text path", "[store]") {
  Dir d;
  write_file(d.path + "/a.txt", ip4_data());
  write_file(d.path + "/d.txt", kDnData);
  write_file(d.path + "/c.txt", kCombinedData);
  write_file(d.path + "/acl.txt", kAclData);
  const std::string state = d.path + "/ro";
  REQUIRE(::mkdir(state.c_str(), 0755) == 0);
  write_file(state + "/keep", "x");  // not empty: not handed to the serving user
  REQUIRE(::chmod(state.c_str(), 0555) == 0);
  ServerOptions o = options_for(d, {});  // as root, the harness adds -u nobody
  o.default_store = true;
  o.env = {"STATE_DIRECTORY=" + state};
  ServerProcess s(o);
  auto r = udp_exchange(s.endpoint(), make_query(1, "4.3.2.1.bl.example", 1));
  CHECK(r.has_value());
  CHECK(s.stop() == 0);
  INFO(s.output());
  CHECK(s.output().find("LMDB store " + state + ": ") != std::string::npos);
  CHECK(s.output().find("loading the data files without the store") != std::string::npos);
  CHECK(s.output().find("e32/24/16/8=") != std::string::npos);  // parsed
  ::chmod(state.c_str(), 0755);                                 // removable again
}

}  // namespace
}  // namespace fastrbl::test
