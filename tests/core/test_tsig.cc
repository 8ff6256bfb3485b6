// TSIG: the key-file parser and hmac-sha256 signing/verification, checked against ldns's
// independent implementation in both directions (ldns signs, we verify; we sign, ldns
// verifies), for requests and for responses (whose MAC covers the request's MAC).

#include "core/dns.h"
#include "core/tsig.h"

#include <catch2/catch.hpp>

#include <ctime>
#include <string>
#include <vector>

#include <ldns/ldns.h>

using namespace fastrbl::core;

namespace {

constexpr const char* kSecret = "qbq4I0r5v3zw3lu8gDWP3wBJ0YBbPxbMkjkBh/f9Ins=";

const char* kKeyFile = R"(# written by tsig-keygen
key "upd-key" {
	algorithm hmac-sha256;
	secret "qbq4I0r5v3zw3lu8gDWP3wBJ0YBbPxbMkjkBh/f9Ins=";
};
// another one, a bare name
key other.example. { algorithm HMAC-SHA256; secret "c2VjcmV0"; }; /* trailing */
)";

std::vector<TsigKey> keys() {
  auto k = parse_tsig_keys(kKeyFile, "keys.conf");
  REQUIRE(k.is_ok());
  return std::move(k).value();
}

// An UPDATE for bl.example that adds 2.0.0.127.bl.example A 127.0.0.2, built by ldns.
ldns_pkt* ldns_update() {
  ldns_rdf* zone = ldns_dname_new_frm_str("bl.example.");
  ldns_rr_list* up = ldns_rr_list_new();
  ldns_rr* rr = nullptr;
  REQUIRE(ldns_rr_new_frm_str(&rr, "2.0.0.127.bl.example. 300 IN A 127.0.0.2", 0, nullptr, nullptr) ==
          LDNS_STATUS_OK);
  ldns_rr_list_push_rr(up, rr);
  ldns_pkt* p = ldns_update_pkt_new(zone, LDNS_RR_CLASS_IN, nullptr, up, nullptr);
  ldns_rr_list_deep_free(up);
  REQUIRE(p != nullptr);
  ldns_pkt_set_id(p, 4242);
  return p;
}

std::vector<std::uint8_t> to_wire(ldns_pkt* p) {
  std::uint8_t* buf = nullptr;
  std::size_t n = 0;
  REQUIRE(ldns_pkt2wire(&buf, p, &n) == LDNS_STATUS_OK);
  std::vector<std::uint8_t> v(buf, buf + n);
  free(buf);  // NOLINT: ldns allocates with malloc
  return v;
}

TsigCheck check(const std::vector<std::uint8_t>& wire, std::int64_t now,
                std::span<const std::uint8_t> req_mac = {}) {
  TsigRecord rec;
  REQUIRE(find_tsig(wire, &rec) == TsigFind::kFound);
  const auto k = keys();
  TsigCheck c = verify_tsig(wire, rec, k, now, req_mac);
  c.key = nullptr;  // points into k, gone after return
  return c;
}

}  // namespace

TEST_CASE("tsig key file: tsig-keygen format, several keys, comments", "[tsig]") {
  const auto k = keys();
  REQUIRE(k.size() == 2);
  CHECK(k[0].name == "upd-key");
  CHECK(k[0].secret.size() == 32);
  CHECK(k[1].name == "other.example");
  CHECK(std::string(k[1].secret.begin(), k[1].secret.end()) == "secret");
  CHECK(find_tsig_key(k, "UPD-KEY.") == &k[0]);
  CHECK(find_tsig_key(k, "nope") == nullptr);
}

TEST_CASE("tsig key file: errors name the file and line", "[tsig]") {
  struct Row {
    const char* text;
    const char* message;
  };
  const Row rows[] = {
      {"key \"a\" {\n algorithm hmac-md5;\n secret \"c2VjcmV0\";\n};\n",
       "file k.conf(1): key `a': algorithm `hmac-md5' is not supported (only hmac-sha256)"},
      {"\n\nkey \"a\" { algorithm hmac-sha256; secret \"not base64!\"; };",
       "file k.conf(3): key `a': the secret is not valid base64"},
      {"key \"a\" { algorithm hmac-sha256; secret \"c2VjcmV0\" };",
       "file k.conf(1): expected `;' before `}'"},
      {"key \"a\" { algorithm hmac-sha256; };", "file k.conf(1): key `a' has no secret"},
      {"key a { algorithm hmac-sha256; secret \"c2VjcmV0\"; };\nkey A { algorithm hmac-sha256; secret "
       "\"c2VjcmV0\"; };",
       "file k.conf(2): key `a' is defined twice"},
      {"\nkeys \"a\" {};", "file k.conf(2): expected `key', found `keys'"},
      {"key \"a\" { algorithm hmac-sha256; secret \"c2VjcmV0\"; }",
       "file k.conf(1): expected `;' at the end of the file"},
      {"key \"a\" { colour blue; };", "file k.conf(1): unknown key field `colour' in key `a'"},
      {"/* nothing\n", "file k.conf(1): unterminated /* comment"},
      {"# only a comment\n", "file k.conf: no key in it"},
      {"key \"a\n", "file k.conf(1): unterminated quoted string"},
  };
  for (const Row& r : rows) {
    INFO(r.text);
    auto k = parse_tsig_keys(r.text, "k.conf");
    REQUIRE_FALSE(k.is_ok());
    CHECK(k.status().message() == r.message);
  }
  auto missing = load_tsig_keys("/nonexistent/keys.conf");
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.status().message() ==
        "file /nonexistent/keys.conf: unable to open file: No such file or directory");
}

TEST_CASE("tsig key spec: nsupdate -y form", "[tsig]") {
  auto k = tsig_key_from_spec(std::string("hmac-sha256:Upd-Key:") + kSecret);
  REQUIRE(k.is_ok());
  CHECK(k.value().name == "upd-key");
  CHECK(k.value().secret == keys()[0].secret);
  CHECK(tsig_key_from_spec(std::string("upd-key:") + kSecret).is_ok());
  CHECK_FALSE(tsig_key_from_spec("hmac-md5:a:c2VjcmV0").is_ok());
  CHECK_FALSE(tsig_key_from_spec("nocolon").is_ok());
}

TEST_CASE("tsig: a request signed by ldns verifies, tampering and bad keys do not", "[tsig]") {
  ldns_pkt* p = ldns_update();
  REQUIRE(ldns_pkt_tsig_sign(p, "upd-key.", kSecret, 300, "hmac-sha256.", nullptr) == LDNS_STATUS_OK);
  std::vector<std::uint8_t> wire = to_wire(p);
  ldns_pkt_free(p);
  const std::int64_t now = std::time(nullptr);

  TsigRecord rec;
  REQUIRE(find_tsig(wire, &rec) == TsigFind::kFound);
  CHECK(rec.key_name.to_text() == "upd-key");
  CHECK(rec.mac.size() == 32);
  CHECK(rec.fudge == 300);
  CHECK(rec.original_id == 4242);

  CHECK(check(wire, now).error == TsigError::kNone);
  CHECK_FALSE(check(wire, now).formerr);
  CHECK(check(wire, now + 299).error == TsigError::kNone);
  CHECK(check(wire, now + 400).error == TsigError::kBadTime);
  CHECK(check(wire, now - 400).error == TsigError::kBadTime);

  // One bit of the update section changed: BADSIG.
  std::vector<std::uint8_t> bad = wire;
  bad[rec.offset - 1] ^= 1;  // the last byte of the A record's address
  CHECK(check(bad, now).error == TsigError::kBadSig);
  // The MAC changed: BADSIG.
  bad = wire;
  bad[wire.size() - 7] ^= 0x80;  // the last MAC byte (then original id, error, other len)
  CHECK(check(bad, now).error == TsigError::kBadSig);

  // Signed with another secret under the same name: BADSIG.
  p = ldns_update();
  REQUIRE(ldns_pkt_tsig_sign(p, "upd-key.", "c2VjcmV0", 300, "hmac-sha256.", nullptr) == LDNS_STATUS_OK);
  CHECK(check(to_wire(p), now).error == TsigError::kBadSig);
  ldns_pkt_free(p);
  // An unknown key name: BADKEY.
  p = ldns_update();
  REQUIRE(ldns_pkt_tsig_sign(p, "nobody.", kSecret, 300, "hmac-sha256.", nullptr) == LDNS_STATUS_OK);
  CHECK(check(to_wire(p), now).error == TsigError::kBadKey);
  ldns_pkt_free(p);
  // Another algorithm with a known key name: BADKEY.
  p = ldns_update();
  REQUIRE(ldns_pkt_tsig_sign(p, "upd-key.", kSecret, 300, "hmac-sha1.", nullptr) == LDNS_STATUS_OK);
  CHECK(check(to_wire(p), now).error == TsigError::kBadKey);
  ldns_pkt_free(p);
}

TEST_CASE("tsig: truncated and oversized MACs", "[tsig]") {
  ldns_pkt* p = ldns_update();
  const std::vector<std::uint8_t> msg = to_wire(p);
  ldns_pkt_free(p);
  const auto k = keys();
  TsigSignParams params;
  params.time_signed = static_cast<std::uint64_t>(std::time(nullptr));
  std::vector<std::uint8_t> signed_msg = msg;
  sign_tsig(signed_msg, k[0], params);
  TsigRecord rec;
  REQUIRE(find_tsig(signed_msg, &rec) == TsigFind::kFound);
  const std::int64_t now = static_cast<std::int64_t>(params.time_signed);
  // Truncated to 16 bytes (a valid RFC 8945 truncation, below our policy): BADTRUNC.
  rec.mac.resize(16);
  CHECK(verify_tsig(signed_msg, rec, k, now).error == TsigError::kBadTrunc);
  rec.mac.resize(10);  // below half the hash: FORMERR
  CHECK(verify_tsig(signed_msg, rec, k, now).formerr);
  rec.mac.assign(33, 0);
  CHECK(verify_tsig(signed_msg, rec, k, now).formerr);
}

TEST_CASE("tsig: what we sign, ldns verifies (request and response)", "[tsig]") {
  ldns_pkt* p = ldns_update();
  std::vector<std::uint8_t> msg = to_wire(p);
  ldns_pkt_free(p);
  const auto k = keys();
  TsigSignParams params;
  params.time_signed = static_cast<std::uint64_t>(std::time(nullptr));
  const std::vector<std::uint8_t> req_mac = sign_tsig(msg, k[0], params);
  CHECK(load_u16(&msg[10]) == 1);

  ldns_pkt* parsed = nullptr;
  REQUIRE(ldns_wire2pkt(&parsed, msg.data(), msg.size()) == LDNS_STATUS_OK);
  CHECK(ldns_pkt_tsig_verify(parsed, msg.data(), msg.size(), "upd-key.", kSecret, nullptr));
  CHECK_FALSE(ldns_pkt_tsig_verify(parsed, msg.data(), msg.size(), "upd-key.", "c2VjcmV0", nullptr));
  ldns_pkt_free(parsed);

  // A response to it, signed by us over the request MAC: ldns verifies it with that MAC.
  std::vector<std::uint8_t> resp(msg.begin(), msg.begin() + 12);
  resp[2] = static_cast<std::uint8_t>(0x80 | (5 << 3));
  resp[3] = 0;
  for (int i = 4; i < 12; ++i) resp[static_cast<std::size_t>(i)] = 0;
  TsigSignParams rp;
  rp.time_signed = params.time_signed;
  rp.request_mac = req_mac;
  sign_tsig(resp, k[0], rp);
  REQUIRE(ldns_wire2pkt(&parsed, resp.data(), resp.size()) == LDNS_STATUS_OK);
  ldns_rdf* mac_rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, 0, nullptr);
  {
    std::vector<std::uint8_t> with_len(2 + req_mac.size());
    store_u16(with_len.data(), static_cast<std::uint16_t>(req_mac.size()));
    std::copy(req_mac.begin(), req_mac.end(), with_len.begin() + 2);
    ldns_rdf_deep_free(mac_rdf);
    mac_rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, with_len.size(), with_len.data());
  }
  CHECK(ldns_pkt_tsig_verify(parsed, resp.data(), resp.size(), "upd-key.", kSecret, mac_rdf));
  ldns_pkt_free(parsed);
  // And we verify it too, as a response to that request.
  CHECK(check(resp, static_cast<std::int64_t>(rp.time_signed), req_mac).error == TsigError::kNone);
  CHECK(check(resp, static_cast<std::int64_t>(rp.time_signed)).error == TsigError::kBadSig);
  ldns_rdf_deep_free(mac_rdf);
}

TEST_CASE("tsig: ldns signs a response, we verify it with the request MAC", "[tsig]") {
  ldns_pkt* p = ldns_update();
  REQUIRE(ldns_pkt_tsig_sign(p, "upd-key.", kSecret, 300, "hmac-sha256.", nullptr) == LDNS_STATUS_OK);
  const std::vector<std::uint8_t> req = to_wire(p);
  TsigRecord rec;
  REQUIRE(find_tsig(req, &rec) == TsigFind::kFound);
  ldns_rdf* req_mac_rdf = ldns_rr_rdf(ldns_pkt_tsig(p), 3);  // the MAC field (with its length)
  ldns_pkt* r = ldns_pkt_new();
  ldns_pkt_set_id(r, 4242);
  ldns_pkt_set_qr(r, true);
  ldns_pkt_set_opcode(r, LDNS_PACKET_UPDATE);
  REQUIRE(ldns_pkt_tsig_sign(r, "upd-key.", kSecret, 300, "hmac-sha256.", req_mac_rdf) == LDNS_STATUS_OK);
  const std::vector<std::uint8_t> resp = to_wire(r);
  CHECK(check(resp, std::time(nullptr), rec.mac).error == TsigError::kNone);
  ldns_pkt_free(r);
  ldns_pkt_free(p);
}

TEST_CASE("tsig: find_tsig on unsigned and malformed messages", "[tsig]") {
  ldns_pkt* p = ldns_update();
  std::vector<std::uint8_t> wire = to_wire(p);
  ldns_pkt_free(p);
  TsigRecord rec;
  CHECK(find_tsig(wire, &rec) == TsigFind::kAbsent);
  std::vector<std::uint8_t> cut(wire.begin(), wire.end() - 3);
  CHECK(find_tsig(cut, &rec) == TsigFind::kMalformed);
  std::vector<std::uint8_t> tiny(wire.begin(), wire.begin() + 5);
  CHECK(find_tsig(tiny, &rec) == TsigFind::kMalformed);
}

TEST_CASE("tsig: read_wire_name follows backward pointers only", "[tsig]") {
  // "a" at 0, then a pointer to 0 at 3, then a pointer to itself at 5.
  const std::vector<std::uint8_t> m = {1, 'a', 0, 0xc0, 0x00, 0xc0, 0x05};
  Name n;
  std::size_t after = 0;
  REQUIRE(read_wire_name(m, 3, &n, &after));
  CHECK(n.to_text() == "a");
  CHECK(after == 5);
  CHECK_FALSE(read_wire_name(m, 5, &n, &after));
}
