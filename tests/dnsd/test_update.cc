// DNS UPDATE with TSIG (dnsd/update.h) against a real FeedStore in a temporary LMDB store:
// accepted changes are in LMDB and in the rendered file; every refusal (unsigned, unknown
// key, bad MAC, stale time, out of zone, not feed-backed, prerequisites, unsupported
// types, two datasets) has its rcode and changes nothing. Messages are built with ldns
// (an independent encoder) and with fastrblctl feed push's builder; `fastrblctl feed push`'s
// batch parser is tested here too.

#include "core/dns.h"
#include "core/tsig.h"
#include "dnsd/feed_push.h"
#include "dnsd/update.h"
#include "feeds/feed_config.h"
#include "feeds/feed_store.h"
#include "zones/store.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <ldns/ldns.h>

using namespace fastrbl;

namespace {

constexpr const char* kSecret = "qbq4I0r5v3zw3lu8gDWP3wBJ0YBbPxbMkjkBh/f9Ins=";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream b;
  b << in.rdbuf();
  return b.str();
}

struct Fixture {
  std::string dir;
  std::shared_ptr<zones::Store> store;
  std::unique_ptr<dnsd::UpdateProcessor> proc;
  std::vector<core::TsigKey> keys;

  Fixture() {
    char tmpl[] = "/tmp/fastrbl-update-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    std::ofstream(dir + "/feeds.toml") << R"([[dataset]]
name = "names"
type = "dnset"
zone = "dbl.example"
output = "names.dnset"
value = "127.0.0.2"

[[dataset]]
name = "ips"
type = "ip4trie"
zone = "dbl.example"
output = "ips.ip4trie"

[[dataset]]
name = "multi"
type = "dnset"
zone = "multi.example"
output = "multi.dnset"
members = [ { dataset = "names", bit = 4 } ]

[[dataset]]
name = "other"
type = "dnset"
zone = "other.example"
output = "other.dnset"
)";
    auto k = core::parse_tsig_keys(
        std::string("key \"upd-key\" { algorithm hmac-sha256; secret \"") + kSecret + "\"; };\n",
        "keys.conf");
    REQUIRE(k.is_ok());
    keys = k.value();
    open();
  }
  void open() {
    proc.reset();
    store.reset();
    auto s = zones::Store::open({dir + "/db"});
    REQUIRE(s.is_ok());
    store = s.value();
    auto cfg = feeds::load_feed_config(dir + "/feeds.toml");
    REQUIRE(cfg.is_ok());
    auto fs = feeds::FeedStore::open(store, std::move(cfg).value());
    REQUIRE(fs.is_ok());
    proc = std::make_unique<dnsd::UpdateProcessor>(keys, std::move(fs).value());
  }
  ~Fixture() {
    proc.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  std::vector<std::string> keys_of(const std::string& dataset) {
    auto e = proc->feed_store().entries(dataset);
    REQUIRE(e.is_ok());
    std::vector<std::string> out;
    for (const feeds::StoredEntry& s : e.value()) {
      std::string line = s.key;
      for (const feeds::Contribution& c : s.from) line += " " + c.origin + "=" + c.a + ":" + c.txt;
      out.push_back(line);
    }
    return out;
  }
};

// An UPDATE built by ldns: `pre` and `up` are RR texts.
std::vector<std::uint8_t> ldns_update(const char* zone, const std::vector<std::string>& pre,
                                      const std::vector<std::string>& up) {
  ldns_rdf* z = ldns_dname_new_frm_str(zone);
  ldns_rr_list* pl = ldns_rr_list_new();
  ldns_rr_list* ul = ldns_rr_list_new();
  for (const auto* list : {&pre, &up})
    for (const std::string& t : *list) {
      ldns_rr* rr = nullptr;
      if (t.starts_with("-")) {  // "-OWNER CLASS TYPE": no data (deletes, prerequisites)
        std::istringstream in(t.substr(1));
        std::string owner, cls, type;
        in >> owner >> cls >> type;
        rr = ldns_rr_new();
        ldns_rr_set_owner(rr, ldns_dname_new_frm_str(owner.c_str()));
        ldns_rr_set_class(rr, cls == "ANY" ? LDNS_RR_CLASS_ANY : LDNS_RR_CLASS_NONE);
        ldns_rr_set_type(rr, ldns_get_rr_type_by_name(type.c_str()));
        ldns_rr_set_ttl(rr, 0);
        ldns_rr_list_push_rr(list == &pre ? pl : ul, rr);
        continue;
      }
      REQUIRE(ldns_rr_new_frm_str(&rr, t.c_str(), 0, nullptr, nullptr) == LDNS_STATUS_OK);
      ldns_rr_list_push_rr(list == &pre ? pl : ul, rr);
    }
  ldns_pkt* p = ldns_update_pkt_new(z, LDNS_RR_CLASS_IN, pl, ul, nullptr);
  ldns_rr_list_deep_free(pl);
  ldns_rr_list_deep_free(ul);
  ldns_pkt_set_id(p, 777);
  std::uint8_t* buf = nullptr;
  std::size_t n = 0;
  REQUIRE(ldns_pkt2wire(&buf, p, &n) == LDNS_STATUS_OK);
  std::vector<std::uint8_t> v(buf, buf + n);
  free(buf);  // NOLINT: ldns allocates with malloc
  ldns_pkt_free(p);
  return v;
}

std::vector<std::uint8_t> sign(std::vector<std::uint8_t> msg, const core::TsigKey& key, std::int64_t t) {
  core::TsigSignParams p;
  p.time_signed = static_cast<std::uint64_t>(t);
  core::sign_tsig(msg, key, p);
  return msg;
}

// The reply's rcode, and its TSIG verified as a response to `request`.
struct Reply {
  std::uint8_t rcode = 0xff;
  bool signed_ok = false;
  std::uint16_t tsig_error = 0;
  std::size_t other_len = 0;
};

Reply inspect(const std::vector<std::uint8_t>& request, const dnsd::UpdateResult& r,
              const std::vector<core::TsigKey>& keys, std::int64_t now) {
  Reply out;
  REQUIRE(r.reply.size() >= core::kHeaderSize);
  CHECK(r.reply[0] == request[0]);
  CHECK(r.reply[1] == request[1]);
  CHECK(r.reply[2] == (0x80 | (5 << 3)));
  out.rcode = r.reply[3] & 0x0f;
  core::TsigRecord req, rec;
  if (core::find_tsig(r.reply, &rec) == core::TsigFind::kFound) {
    out.tsig_error = rec.error;
    out.other_len = rec.other.size();
    REQUIRE(core::find_tsig(request, &req) == core::TsigFind::kFound);
    const core::TsigCheck c = core::verify_tsig(r.reply, rec, keys, now, req.mac);
    out.signed_ok = !c.formerr && (c.error == core::TsigError::kNone || c.error == core::TsigError::kBadTime);
  }
  return out;
}

}  // namespace

TEST_CASE("update: add and delete, durable in LMDB and rendered", "[update]") {
  Fixture f;
  const std::int64_t now = std::time(nullptr);
  const auto add = sign(ldns_update("dbl.example.", {},
                                    {"evil.com.dbl.example. 300 IN A 127.0.0.3",
                                     "evil.com.dbl.example. 300 IN TXT \"bad \" \"site\"",
                                     "*.wild.com.dbl.example. 300 IN A 127.0.0.2"}),
                        f.keys[0], now);
  dnsd::UpdateResult r = f.proc->process(add, now);
  Reply rep = inspect(add, r, f.keys, now);
  CHECK(rep.rcode == 0);
  CHECK(rep.signed_ok);
  CHECK(r.dataset == "names");
  CHECK(r.added == 2);
  CHECK(f.keys_of("names") == std::vector<std::string>{"*.wild.com update:upd-key=127.0.0.2:",
                                                       "evil.com update:upd-key=127.0.0.3:bad site"});
  REQUIRE(f.proc->render(r.dataset, now).is_ok());  // UpdateService renders after the reply
  const std::string file = read_text(f.dir + "/names.dnset");
  CHECK(file.find("\nevil.com :127.0.0.3:bad site\n") != std::string::npos);
  CHECK(file.find("\n*.wild.com") != std::string::npos);
  // The multi dataset built from it is rendered too.
  CHECK(read_text(f.dir + "/multi.dnset").find("evil.com") != std::string::npos);

  // An address in the same zone goes to the ip4trie dataset.
  const auto ip =
      sign(ldns_update("dbl.example.", {}, {"4.3.2.10.dbl.example. 300 IN A 127.0.0.4"}), f.keys[0], now);
  r = f.proc->process(ip, now);
  CHECK(inspect(ip, r, f.keys, now).rcode == 0);
  CHECK(r.dataset == "ips");
  CHECK(f.keys_of("ips") == std::vector<std::string>{"10.2.3.4/32 update:upd-key=127.0.0.4:"});

  // Delete (class ANY, type ANY): gone from LMDB and from the file; survives a reopen.
  const auto del = sign(ldns_update("dbl.example.", {}, {"-evil.com.dbl.example. ANY ANY"}), f.keys[0], now);
  r = f.proc->process(del, now);
  CHECK(inspect(del, r, f.keys, now).rcode == 0);
  CHECK(r.deleted == 1);
  REQUIRE(f.proc->render(r.dataset, now).is_ok());
  CHECK(read_text(f.dir + "/names.dnset").find("evil.com") == std::string::npos);
  f.open();
  CHECK(f.keys_of("names") == std::vector<std::string>{"*.wild.com update:upd-key=127.0.0.2:"});
}

TEST_CASE("update: every refusal has its rcode and changes nothing", "[update]") {
  Fixture f;
  const std::int64_t now = std::time(nullptr);
  auto other_key = core::tsig_key_from_spec("hmac-sha256:upd-key:c2VjcmV0");
  auto unknown_key = core::tsig_key_from_spec(std::string("hmac-sha256:nobody:") + kSecret);
  REQUIRE(other_key.is_ok());
  REQUIRE(unknown_key.is_ok());
  const auto body = ldns_update("dbl.example.", {}, {"x.com.dbl.example. 300 IN A 127.0.0.3"});
  struct Row {
    const char* what;
    std::vector<std::uint8_t> msg;
    std::uint8_t rcode;
    std::uint16_t tsig_error;
    bool reply_signed;
  };
  const std::vector<Row> rows = {
      {"unsigned", body, 5, 0, false},
      {"unknown key", sign(body, unknown_key.value(), now), 9, 17, false},
      {"bad secret", sign(body, other_key.value(), now), 9, 16, false},
      {"stale", sign(body, f.keys[0], now - 1000), 9, 18, true},
      {"from the future", sign(body, f.keys[0], now + 1000), 9, 18, true},
      {"out of zone",
       sign(ldns_update("dbl.example.", {}, {"x.com.elsewhere.example. 300 IN A 127.0.0.3"}), f.keys[0], now),
       10, 0, true},
      {"not a zone of ours",
       sign(ldns_update("nope.example.", {}, {"x.nope.example. 300 IN A 127.0.0.3"}), f.keys[0], now), 9, 0,
       true},
      {"multi dataset zone",
       sign(ldns_update("multi.example.", {}, {"x.multi.example. 300 IN A 127.0.0.3"}), f.keys[0], now), 9, 0,
       true},
      {"prerequisite",
       sign(ldns_update("dbl.example.", {"-x.com.dbl.example. NONE ANY"},
                        {"x.com.dbl.example. 300 IN A 127.0.0.3"}),
            f.keys[0], now),
       5, 0, true},
      {"MX record",
       sign(ldns_update("dbl.example.", {}, {"x.com.dbl.example. 300 IN MX 10 mx.example."}), f.keys[0], now),
       5, 0, true},
      {"the apex", sign(ldns_update("dbl.example.", {}, {"dbl.example. 300 IN A 127.0.0.3"}), f.keys[0], now),
       5, 0, true},
      {"two datasets",
       sign(
           ldns_update("dbl.example.", {},
                       {"x.com.dbl.example. 300 IN A 127.0.0.3", "4.3.2.10.dbl.example. 300 IN A 127.0.0.3"}),
           f.keys[0], now),
       5, 0, true},
      {"invalid name for the dataset",
       sign(ldns_update("dbl.example.", {}, {"x.123.dbl.example. 300 IN A 127.0.0.3"}), f.keys[0], now), 5, 0,
       true},
      {"delete with data",
       sign(ldns_update("dbl.example.", {}, {"x.com.dbl.example. 0 ANY A 127.0.0.3"}), f.keys[0], now), 1, 0,
       true},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    const dnsd::UpdateResult r = f.proc->process(row.msg, now);
    INFO(r.message);
    CHECK(r.dataset.empty());
    const Reply rep = inspect(row.msg, r, f.keys, now);
    CHECK(rep.rcode == row.rcode);
    CHECK(rep.tsig_error == row.tsig_error);
    CHECK(rep.signed_ok == row.reply_signed);
    if (row.tsig_error == 18) CHECK(rep.other_len == 6);  // BADTIME: the server's time
  }
  CHECK(f.keys_of("names").empty());
  CHECK(f.keys_of("ips").empty());
  struct stat st {};
  CHECK(::stat((f.dir + "/names.dnset").c_str(), &st) != 0);  // never rendered: nothing changed

  // A truncated message and a response are not requests.
  std::vector<std::uint8_t> cut = sign(body, f.keys[0], now);
  cut.resize(cut.size() - 5);
  CHECK(inspect(cut, f.proc->process(cut, now), f.keys, now).rcode == 1);
  std::vector<std::uint8_t> resp = sign(body, f.keys[0], now);
  resp[2] |= 0x80;
  CHECK(f.proc->process(resp, now).reply.empty());
}

TEST_CASE("update: renders within one second still change the file's stamp", "[update]") {
  Fixture f;
  const std::int64_t now = std::time(nullptr);
  struct stat st {};
  std::int64_t last = -1;
  off_t last_size = -1;
  for (int i = 0; i < 3; ++i) {
    // add then delete the same key: the same file size each second time
    const char* rr = i % 2 == 0 ? "aa.com.dbl.example. 300 IN A 127.0.0.3" : "-aa.com.dbl.example. ANY ANY";
    const auto m = sign(ldns_update("dbl.example.", {}, {rr}), f.keys[0], now);
    REQUIRE(f.proc->process(m, now).rcode == 0);
    REQUIRE(f.proc->render("names", now).is_ok());
    REQUIRE(::stat((f.dir + "/names.dnset").c_str(), &st) == 0);
    CHECK((st.st_mtime > last || st.st_size != last_size));
    CHECK(st.st_mtime > last);
    last = st.st_mtime;
    last_size = st.st_size;
  }
}

TEST_CASE("update: heal renders a file that does not match LMDB", "[update]") {
  Fixture f;
  const std::int64_t now = std::time(nullptr);
  const auto m =
      sign(ldns_update("dbl.example.", {}, {"heal.com.dbl.example. 300 IN A 127.0.0.3"}), f.keys[0], now);
  REQUIRE(f.proc->process(m, now).rcode == 0);
  auto healed = f.proc->heal(f.store, now + 4);  // a commit not rendered yet, and files never rendered
  REQUIRE(healed.is_ok());
  CHECK(healed.value() == 4);  // names (with the entry), ips, multi, other
  healed = f.proc->heal(f.store, now + 5);
  REQUIRE(healed.is_ok());
  CHECK(healed.value() == 0);  // everything matches (the render timestamp aside)
  // A crash between commit and render: the file lacks the entry.
  std::ofstream(f.dir + "/names.dnset", std::ios::trunc) << "stale\n";
  std::filesystem::remove(f.dir + "/ips.ip4trie");
  healed = f.proc->heal(f.store, now + 6);
  REQUIRE(healed.is_ok());
  CHECK(healed.value() == 2);
  CHECK(read_text(f.dir + "/names.dnset").find("\nheal.com :127.0.0.3:\n") != std::string::npos);
  CHECK(std::filesystem::exists(f.dir + "/ips.ip4trie"));
  CHECK_FALSE(std::filesystem::exists(f.dir + "/names.dnset.fastrbld-check"));
}

TEST_CASE("update: fastrblctl feed push messages are accepted as sent", "[update][push]") {
  Fixture f;
  const std::int64_t now = std::time(nullptr);
  std::string batch =
      "# comment\nadd one.com\nadd two.com 127.0.0.5:two two\nadd three.com :7\n\ndel one.com\n";
  for (int i = 0; i < 100; ++i) batch += "add h" + std::to_string(i) + ".bulk.com 127.0.0.3:bulk\n";
  batch += "add 10.1.2.3 127.0.0.6\n";
  auto lines = dnsd::parse_push_batch(batch, "batch.txt");
  REQUIRE(lines.is_ok());
  CHECK(lines.value().size() == 105);
  auto msgs = dnsd::build_update_messages(lines.value(), "dbl.example", "batch.txt");
  REQUIRE(msgs.is_ok());
  REQUIRE(msgs.value().size() >= 3);  // split by size, and the address in its own message
  std::size_t changes = 0;
  for (const dnsd::PushMessage& pm : msgs.value()) {
    CHECK(pm.wire.size() <= 1200);
    changes += pm.changes;
    const auto m = sign(pm.wire, f.keys[0], now);
    const dnsd::UpdateResult r = f.proc->process(m, now);
    INFO(r.message);
    CHECK(r.rcode == 0);
  }
  CHECK(changes == 105);
  CHECK(msgs.value().back().first_line == 107);  // the address line, alone
  const auto names = f.keys_of("names");
  CHECK(names.size() == 102);
  CHECK(std::find(names.begin(), names.end(), "two.com update:upd-key=127.0.0.5:two two") != names.end());
  CHECK(std::find(names.begin(), names.end(), "three.com update:upd-key=127.0.0.7:") != names.end());
  CHECK(std::find(names.begin(), names.end(), "one.com update:upd-key=127.0.0.2:") == names.end());
  CHECK(f.keys_of("ips") == std::vector<std::string>{"10.1.2.3/32 update:upd-key=127.0.0.6:"});
}

TEST_CASE("feed push: batch errors name the file and line", "[push]") {
  struct Row {
    const char* text;
    const char* message;
  };
  const Row rows[] = {
      {"add a.com\nput b.com\n", "file b.txt(2): expected `add KEY [VALUE]' or `del KEY', found `put'"},
      {"del\n", "file b.txt(1): `del' needs a key"},
      {"\n\ndel a.com 127.0.0.2\n", "file b.txt(3): `del' takes a key only"},
  };
  for (const Row& r : rows) {
    auto l = dnsd::parse_push_batch(r.text, "b.txt");
    REQUIRE_FALSE(l.is_ok());
    CHECK(l.status().message() == r.message);
  }
  auto l = dnsd::parse_push_batch("add 10.0.0.0/8\n", "b.txt");
  REQUIRE(l.is_ok());
  auto m = dnsd::build_update_messages(l.value(), "bl.example", "b.txt");
  REQUIRE_FALSE(m.is_ok());
  CHECK(m.status().message() ==
        "file b.txt(1): `10.0.0.0/8': prefixes, .suffix entries and exclusions have no DNS name; push them "
        "with "
        "--db (locally)");
  l = dnsd::parse_push_batch("add a.com 300.1.1.1\n", "b.txt");
  REQUIRE(l.is_ok());
  m = dnsd::build_update_messages(l.value(), "bl.example", "b.txt");
  REQUIRE_FALSE(m.is_ok());
  CHECK(m.status().message() == "file b.txt(1): invalid A value `300.1.1.1' in `300.1.1.1'");
}
