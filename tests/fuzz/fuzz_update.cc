// libFuzzer target for DNS UPDATE (dnsd/update.h): one message body -> UpdateProcessor.
//
// Each input is processed twice: as it is (unsigned, or carrying whatever TSIG record the
// input holds), and signed with the target's key at the current time (a TSIG record
// appended, ARCOUNT incremented), so that the zone, prerequisite and update sections are
// reached although the fuzzer cannot forge a MAC. The processor runs on a real FeedStore in
// a temporary LMDB store (created once, lazily, removed at exit; accepted inputs are
// committed). Invariants
// for every input: a message shorter than a header or with QR set gets no reply; every
// other one gets a reply that echoes the ID, has QR and opcode UPDATE, and one zone record
// at most; an unsigned message is REFUSED (or FORMERR when its records cannot be walked)
// and changes nothing; a reply to the signed copy is signed whenever the message passed the
// TSIG check; a refusal names no changed dataset.
// Replayed over tests/fuzz/corpus/update by replay_main.cc in every build.

#include "core/assert.h"
#include "core/dns.h"
#include "core/tsig.h"
#include "dnsd/update.h"
#include "feeds/feed_config.h"
#include "feeds/feed_store.h"
#include "zones/store.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace {

namespace core = fastrbl::core;
namespace dnsd = fastrbl::dnsd;

std::string g_dir;  // the temporary store, removed at exit

void remove_dir() {
  std::error_code ec;
  std::filesystem::remove_all(g_dir, ec);
}

struct Target {
  std::vector<core::TsigKey> keys;
  std::unique_ptr<dnsd::UpdateProcessor> proc;
};

Target* make_target() {
  char tmpl[] = "/tmp/fastrbl-fuzz-update-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) std::abort();
  const std::string dir = tmpl;
  g_dir = dir;
  std::atexit(remove_dir);
  std::ofstream(dir + "/feeds.toml")
      << "[[dataset]]\nname = \"names\"\ntype = \"dnset\"\nzone = \"bl.example\"\n"
         "output = \"names.dnset\"\n\n[[dataset]]\nname = \"ips\"\ntype = \"ip4trie\"\n"
         "zone = \"bl.example\"\noutput = \"ips.ip4trie\"\n\n[[dataset]]\nname = "
         "\"six\"\ntype = \"ip6trie\"\nzone = \"six.example\"\noutput = \"six.ip6trie\"\n";
  auto* t = new Target;  // lives for the process (libFuzzer never returns)
  auto k = core::tsig_key_from_spec("hmac-sha256:fuzz-key:qbq4I0r5v3zw3lu8gDWP3wBJ0YBbPxbMkjkBh/f9Ins=");
  auto store = fastrbl::zones::Store::open({dir + "/db"});
  auto cfg = fastrbl::feeds::load_feed_config(dir + "/feeds.toml");
  if (!k.is_ok() || !store.is_ok() || !cfg.is_ok()) std::abort();
  auto fs = fastrbl::feeds::FeedStore::open(store.value(), std::move(cfg).value());
  if (!fs.is_ok()) std::abort();
  t->keys.push_back(k.value());
  t->proc = std::make_unique<dnsd::UpdateProcessor>(t->keys, std::move(fs).value());
  return t;
}

void check_reply(std::span<const std::uint8_t> msg, const dnsd::UpdateResult& r) {
  if (msg.size() < core::kHeaderSize || (msg[2] & core::kFlagQR) != 0) {
    FASTRBL_REQUIRE(r.reply.empty());
    return;
  }
  FASTRBL_REQUIRE(r.reply.size() >= core::kHeaderSize);
  FASTRBL_REQUIRE(r.reply[0] == msg[0] && r.reply[1] == msg[1]);
  FASTRBL_REQUIRE(r.reply[2] == (core::kFlagQR | (dnsd::kOpcodeUpdate << 3)));
  FASTRBL_REQUIRE(core::load_u16(&r.reply[4]) <= 1);
  FASTRBL_REQUIRE((r.reply[3] & core::kRcodeMask) == r.rcode);
  if (r.rcode != 0) FASTRBL_REQUIRE(r.dataset.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Target* t = make_target();
  const std::int64_t now = std::time(nullptr);
  const std::span<const std::uint8_t> raw(data, size);

  const dnsd::UpdateResult plain = t->proc->process(raw, now);
  check_reply(raw, plain);
  core::TsigRecord rec;
  if (size >= core::kHeaderSize && core::find_tsig(raw, &rec) == core::TsigFind::kAbsent &&
      (data[2] & core::kFlagQR) == 0) {
    FASTRBL_REQUIRE(plain.rcode == 5);  // unsigned: REFUSED
    FASTRBL_REQUIRE(plain.dataset.empty());
  }

  if (size < core::kHeaderSize || size > 3000) return 0;
  std::vector<std::uint8_t> msg(data, data + size);
  core::TsigSignParams p;
  p.time_signed = static_cast<std::uint64_t>(now);
  core::sign_tsig(msg, t->keys[0], p);
  const dnsd::UpdateResult signed_result = t->proc->process(msg, now);
  check_reply(msg, signed_result);
  if (!signed_result.key.empty() && !signed_result.reply.empty()) {  // passed the TSIG check: signed reply
    core::TsigRecord reply_rec;
    FASTRBL_REQUIRE(core::find_tsig(signed_result.reply, &reply_rec) == core::TsigFind::kFound);
    FASTRBL_REQUIRE(reply_rec.mac.size() == core::kHmacSha256Size);
  }
  return 0;
}
