#include "core/tsig.h"

#include "core/dns.h"

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sstream>

namespace fastrbl::core {

namespace {

// ---------------------------------------------------------------------------------------
// Key files

std::string where(std::string_view file, std::size_t line) {
  return "file " + std::string(file) + "(" + std::to_string(line) + "): ";
}

// A tokenizer for the named.conf subset of key files: words, quoted strings, { } ;.
class KeyLexer {
 public:
  KeyLexer(std::string_view text, std::string_view file) : text_(text), file_(file) {}

  struct Token {
    enum Kind { kEnd, kWord, kString, kPunct } kind = kEnd;
    std::string text;
    std::size_t line = 0;
  };

  // Reads the next token; false with *error set on an unterminated string or comment.
  bool next(Token* t, std::string* error) {
    skip_space_and_comments();
    if (!error_.empty()) {
      *error = error_;
      return false;
    }
    t->line = line_;
    t->text.clear();
    if (pos_ >= text_.size()) {
      t->kind = Token::kEnd;
      return true;
    }
    const char c = text_[pos_];
    if (c == '{' || c == '}' || c == ';') {
      t->kind = Token::kPunct;
      t->text = std::string(1, c);
      ++pos_;
      return true;
    }
    if (c == '"') {
      ++pos_;
      const std::size_t start_line = line_;
      while (pos_ < text_.size() && text_[pos_] != '"') {
        if (text_[pos_] == '\n') ++line_;
        t->text.push_back(text_[pos_++]);
      }
      if (pos_ >= text_.size()) {
        *error = where(file_, start_line) + "unterminated quoted string";
        return false;
      }
      ++pos_;
      t->kind = Token::kString;
      return true;
    }
    while (pos_ < text_.size()) {
      const char d = text_[pos_];
      if (std::isspace(static_cast<unsigned char>(d)) || d == '{' || d == '}' || d == ';' || d == '"' ||
          d == '#' ||
          (d == '/' && pos_ + 1 < text_.size() && (text_[pos_ + 1] == '/' || text_[pos_ + 1] == '*')))
        break;
      t->text.push_back(d);
      ++pos_;
    }
    t->kind = Token::kWord;
    return true;
  }

 private:
  void skip_space_and_comments() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else if (c == '#' || (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/')) {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
        const std::size_t start_line = line_;
        pos_ += 2;
        while (pos_ + 1 < text_.size() && !(text_[pos_] == '*' && text_[pos_ + 1] == '/')) {
          if (text_[pos_] == '\n') ++line_;
          ++pos_;
        }
        if (pos_ + 1 >= text_.size()) {
          error_ = where(file_, start_line) + "unterminated /* comment";
          pos_ = text_.size();
          return;
        }
        pos_ += 2;
      } else {
        return;
      }
    }
  }

  std::string_view text_;
  std::string_view file_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::string error_;
};

bool base64_char(char c) noexcept {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
}

// Standard base64 with padding; whitespace inside is allowed (named.conf allows it).
bool decode_base64(std::string_view in, std::vector<std::uint8_t>* out) {
  std::string s;
  for (char c : in)
    if (!std::isspace(static_cast<unsigned char>(c))) s.push_back(c);
  if (s.empty() || s.size() % 4 != 0) return false;
  std::size_t pad = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '=') {
      if (i < s.size() - 2) return false;
      ++pad;
    } else if (pad > 0 || !base64_char(s[i])) {
      return false;
    }
  }
  out->assign(s.size() / 4 * 3, 0);
  const int n = EVP_DecodeBlock(out->data(),
                                reinterpret_cast<const unsigned char*>(s.data()),  // bytes as unsigned char
                                static_cast<int>(s.size()));
  if (n < 0) return false;
  out->resize(static_cast<std::size_t>(n) - pad);
  return true;
}

std::string lower_key_name(std::string_view name) {
  std::string s(name);
  while (!s.empty() && s.back() == '.') s.pop_back();
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Result<TsigKey> make_key(std::string_view name, std::string_view algorithm, std::string_view secret_b64,
                         const std::string& where_text) {
  TsigKey key;
  key.name = lower_key_name(name);
  if (key.name.empty()) return Status::error(where_text + "empty key name");
  auto wire = Name::from_text(key.name);
  if (!wire.is_ok())
    return Status::error(where_text + "invalid key name `" + std::string(name) +
                         "': " + std::string(wire.status().message()));
  key.wire = wire.value().lowered();
  if (lower_key_name(algorithm) != kHmacSha256)
    return Status::error(where_text + "key `" + key.name + "': algorithm `" + std::string(algorithm) +
                         "' is not supported (only hmac-sha256)");
  if (!decode_base64(secret_b64, &key.secret))
    return Status::error(where_text + "key `" + key.name + "': the secret is not valid base64");
  if (key.secret.empty()) return Status::error(where_text + "key `" + key.name + "': empty secret");
  return key;
}

// ---------------------------------------------------------------------------------------
// Wire helpers

bool skip_name(std::span<const std::uint8_t> msg, std::size_t pos, std::size_t* after) noexcept {
  while (true) {
    if (pos >= msg.size()) return false;
    const std::uint8_t len = msg[pos];
    if (len == 0) {
      *after = pos + 1;
      return true;
    }
    if ((len & 0xc0) == 0xc0) {
      if (msg.size() - pos < 2) return false;
      *after = pos + 2;
      return true;
    }
    if (len > kMaxLabelLen) return false;
    if (msg.size() - pos - 1 < len) return false;
    pos += 1u + len;
  }
}

void put_u16(std::vector<std::uint8_t>& v, std::uint16_t x) {
  v.push_back(static_cast<std::uint8_t>(x >> 8));
  v.push_back(static_cast<std::uint8_t>(x));
}

void put_u48(std::vector<std::uint8_t>& v, std::uint64_t x) {
  for (int shift = 40; shift >= 0; shift -= 8) v.push_back(static_cast<std::uint8_t>(x >> shift));
}

void put_bytes(std::vector<std::uint8_t>& v, std::span<const std::uint8_t> b) {
  v.insert(v.end(), b.begin(), b.end());
}

Name algorithm_name() {
  Name n = Name::from_text(kHmacSha256).value();
  return n;
}

// The TSIG variables (RFC 8945 4.3.3) after the message in the digest input.
void put_variables(std::vector<std::uint8_t>& d, const Name& key_name, const Name& algorithm,
                   std::uint64_t time_signed, std::uint16_t fudge, std::uint16_t error,
                   std::span<const std::uint8_t> other) {
  put_bytes(d, key_name.lowered().wire());
  put_u16(d, rrclass::kANY);
  put_u16(d, 0);  // TTL, 32 bits
  put_u16(d, 0);
  put_bytes(d, algorithm.lowered().wire());
  put_u48(d, time_signed);
  put_u16(d, fudge);
  put_u16(d, error);
  put_u16(d, static_cast<std::uint16_t>(other.size()));
  put_bytes(d, other);
}

std::vector<std::uint8_t> hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
  std::vector<std::uint8_t> mac(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), mac.data(), &len);
  mac.resize(len);
  return mac;
}

// The digest input for a message whose TSIG record starts at `tsig_offset` (or is not in
// it yet: tsig_offset == msg.size() and `counted` false).
std::vector<std::uint8_t> digest_input(std::span<const std::uint8_t> msg, std::size_t tsig_offset,
                                       bool counted, std::uint16_t original_id,
                                       std::span<const std::uint8_t> request_mac, const Name& key_name,
                                       const Name& algorithm, std::uint64_t time_signed, std::uint16_t fudge,
                                       std::uint16_t error, std::span<const std::uint8_t> other) {
  std::vector<std::uint8_t> d;
  d.reserve(tsig_offset + request_mac.size() + 128);
  if (!request_mac.empty()) {
    put_u16(d, static_cast<std::uint16_t>(request_mac.size()));
    put_bytes(d, request_mac);
  }
  const std::size_t start = d.size();
  put_bytes(d, msg.first(tsig_offset));
  store_u16(&d[start], original_id);
  if (counted) {
    const std::uint16_t ar = load_u16(&d[start + 10]);
    store_u16(&d[start + 10], static_cast<std::uint16_t>(ar - 1));
  }
  put_variables(d, key_name, algorithm, time_signed, fudge, error, other);
  return d;
}

void append_tsig_record(std::vector<std::uint8_t>& msg, const Name& key_name, const Name& algorithm,
                        std::uint64_t time_signed, std::uint16_t fudge, std::span<const std::uint8_t> mac,
                        std::uint16_t original_id, std::uint16_t error, std::span<const std::uint8_t> other) {
  put_bytes(msg, key_name.lowered().wire());
  put_u16(msg, rrtype::kTSIG);
  put_u16(msg, rrclass::kANY);
  put_u16(msg, 0);
  put_u16(msg, 0);
  const std::size_t rdlen_at = msg.size();
  put_u16(msg, 0);
  put_bytes(msg, algorithm.lowered().wire());
  put_u48(msg, time_signed);
  put_u16(msg, fudge);
  put_u16(msg, static_cast<std::uint16_t>(mac.size()));
  put_bytes(msg, mac);
  put_u16(msg, original_id);
  put_u16(msg, error);
  put_u16(msg, static_cast<std::uint16_t>(other.size()));
  put_bytes(msg, other);
  store_u16(&msg[rdlen_at], static_cast<std::uint16_t>(msg.size() - rdlen_at - 2));
  store_u16(&msg[10], static_cast<std::uint16_t>(load_u16(&msg[10]) + 1));
}

}  // namespace

Result<std::vector<TsigKey>> parse_tsig_keys(std::string_view text, std::string_view file) {
  KeyLexer lex(text, file);
  KeyLexer::Token t;
  std::string error;
  std::vector<TsigKey> keys;
  auto expect = [&](std::string_view what) -> bool {
    if (!lex.next(&t, &error)) return false;
    if (t.kind != KeyLexer::Token::kPunct || t.text != what) {
      error = where(file, t.line) + "expected `" + std::string(what) + "'" +
              (t.kind == KeyLexer::Token::kEnd ? std::string(" at the end of the file")
                                               : " before `" + t.text + "'");
      return false;
    }
    return true;
  };
  while (true) {
    if (!lex.next(&t, &error)) return Status::error(error);
    if (t.kind == KeyLexer::Token::kEnd) break;
    const std::size_t key_line = t.line;
    if (t.kind != KeyLexer::Token::kWord || t.text != "key")
      return Status::error(where(file, t.line) + "expected `key', found `" + t.text + "'");
    if (!lex.next(&t, &error)) return Status::error(error);
    if (t.kind != KeyLexer::Token::kWord && t.kind != KeyLexer::Token::kString)
      return Status::error(where(file, t.line) + "expected a key name after `key'");
    const std::string name = t.text;
    if (!expect("{")) return Status::error(error);
    std::string algorithm, secret;
    bool have_algorithm = false, have_secret = false;
    while (true) {
      if (!lex.next(&t, &error)) return Status::error(error);
      if (t.kind == KeyLexer::Token::kPunct && t.text == "}") break;
      if (t.kind != KeyLexer::Token::kWord)
        return Status::error(where(file, t.line) + "expected `algorithm', `secret' or `}' in key `" + name +
                             "'");
      const std::string field = t.text;
      const std::size_t field_line = t.line;
      if (field != "algorithm" && field != "secret")
        return Status::error(where(file, t.line) + "unknown key field `" + field + "' in key `" + name + "'");
      if (!lex.next(&t, &error)) return Status::error(error);
      if (t.kind != KeyLexer::Token::kWord && t.kind != KeyLexer::Token::kString)
        return Status::error(where(file, field_line) + "`" + field + "' needs a value");
      if (field == "algorithm") {
        if (have_algorithm)
          return Status::error(where(file, field_line) + "key `" + name + "': algorithm given twice");
        algorithm = t.text;
        have_algorithm = true;
      } else {
        if (have_secret)
          return Status::error(where(file, field_line) + "key `" + name + "': secret given twice");
        secret = t.text;
        have_secret = true;
      }
      if (!expect(";")) return Status::error(error);
    }
    if (!expect(";")) return Status::error(error);
    if (!have_algorithm) return Status::error(where(file, key_line) + "key `" + name + "' has no algorithm");
    if (!have_secret) return Status::error(where(file, key_line) + "key `" + name + "' has no secret");
    auto key = make_key(name, algorithm, secret, where(file, key_line));
    if (!key.is_ok()) return key.status();
    if (find_tsig_key(keys, key.value().name) != nullptr)
      return Status::error(where(file, key_line) + "key `" + key.value().name + "' is defined twice");
    keys.push_back(std::move(key).value());
  }
  if (keys.empty()) return Status::error("file " + std::string(file) + ": no key in it");
  return keys;
}

Result<std::vector<TsigKey>> load_tsig_keys(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return Status::error("file " + path + ": unable to open file: " + std::strerror(err));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  return parse_tsig_keys(text, path);
}

const TsigKey* find_tsig_key(std::span<const TsigKey> keys, std::string_view name) noexcept {
  std::size_t n = name.size();
  while (n > 0 && name[n - 1] == '.') --n;
  for (const TsigKey& k : keys) {
    if (k.name.size() != n) continue;
    bool same = true;
    for (std::size_t i = 0; i < n && same; ++i)
      same = std::tolower(static_cast<unsigned char>(name[i])) == static_cast<unsigned char>(k.name[i]);
    if (same) return &k;
  }
  return nullptr;
}

Result<TsigKey> tsig_key_from_spec(std::string_view spec) {
  std::string_view algorithm = kHmacSha256;
  const std::size_t last = spec.rfind(':');
  if (last == std::string_view::npos)
    return Status::error("key `" + std::string(spec) + "': expected [hmac-sha256:]name:secret");
  std::string_view head = spec.substr(0, last);
  const std::string_view secret = spec.substr(last + 1);
  const std::size_t first = head.find(':');
  if (first != std::string_view::npos) {
    algorithm = head.substr(0, first);
    head = head.substr(first + 1);
  }
  return make_key(head, algorithm, secret, "");
}

bool read_wire_name(std::span<const std::uint8_t> msg, std::size_t pos, Name* out,
                    std::size_t* after) noexcept {
  std::array<std::uint8_t, kMaxNameLen> buf{};
  std::size_t len = 0;
  bool jumped = false;
  std::size_t hops = 0;
  while (true) {
    if (pos >= msg.size()) return false;
    const std::uint8_t l = msg[pos];
    if ((l & 0xc0) == 0xc0) {
      if (msg.size() - pos < 2) return false;
      const std::size_t target = (std::size_t{l & 0x3fu} << 8) | msg[pos + 1];
      if (!jumped) *after = pos + 2;
      jumped = true;
      if (target >= pos || ++hops > kMaxLabels) return false;  // only backwards: no loops
      pos = target;
      continue;
    }
    if (l > kMaxLabelLen) return false;
    if (msg.size() - pos - 1 < l) return false;
    if (len + 1u + l > kMaxNameLen) return false;
    buf[len++] = l;
    if (l == 0) {
      if (!jumped) *after = pos + 1;
      break;
    }
    std::memcpy(&buf[len], &msg[pos + 1], l);
    len += l;
    pos += 1u + l;
  }
  return Name::from_wire(std::span(buf.data(), len), out);
}

TsigFind find_tsig(std::span<const std::uint8_t> msg, TsigRecord* out) {
  if (msg.size() < kHeaderSize) return TsigFind::kMalformed;
  const std::size_t qd = load_u16(&msg[4]);
  const std::size_t records = std::size_t{load_u16(&msg[6])} + load_u16(&msg[8]) + load_u16(&msg[10]);
  std::size_t pos = kHeaderSize;
  for (std::size_t i = 0; i < qd; ++i) {
    std::size_t after = 0;
    if (!skip_name(msg, pos, &after) || msg.size() - after < 4) return TsigFind::kMalformed;
    pos = after + 4;
  }
  for (std::size_t i = 0; i < records; ++i) {
    const std::size_t owner = pos;
    std::size_t after = 0;
    if (!skip_name(msg, pos, &after) || msg.size() - after < 10) return TsigFind::kMalformed;
    const std::uint16_t type = load_u16(&msg[after]);
    const std::size_t rdlen = load_u16(&msg[after + 8]);
    const std::size_t rdata = after + 10;
    if (msg.size() - rdata < rdlen) return TsigFind::kMalformed;
    pos = rdata + rdlen;
    if (type != rrtype::kTSIG) continue;
    if (i + 1 != records || load_u16(&msg[10]) == 0) return TsigFind::kMalformed;  // must be the last
    TsigRecord r;
    r.offset = owner;
    std::size_t unused = 0;
    if (!read_wire_name(msg, owner, &r.key_name, &unused)) return TsigFind::kMalformed;
    r.key_name.to_lower();
    const auto rd = msg.subspan(rdata, rdlen);
    std::size_t p = 0;
    if (!read_wire_name(rd, 0, &r.algorithm, &p)) return TsigFind::kMalformed;  // never compressed
    r.algorithm.to_lower();
    if (rd.size() - p < 10) return TsigFind::kMalformed;
    r.time_signed = 0;
    for (int k = 0; k < 6; ++k) r.time_signed = (r.time_signed << 8) | rd[p + static_cast<std::size_t>(k)];
    r.fudge = load_u16(&rd[p + 6]);
    const std::size_t mac_size = load_u16(&rd[p + 8]);
    p += 10;
    if (rd.size() - p < mac_size) return TsigFind::kMalformed;
    r.mac.assign(rd.begin() + static_cast<std::ptrdiff_t>(p),
                 rd.begin() + static_cast<std::ptrdiff_t>(p + mac_size));
    p += mac_size;
    if (rd.size() - p < 6) return TsigFind::kMalformed;
    r.original_id = load_u16(&rd[p]);
    r.error = load_u16(&rd[p + 2]);
    const std::size_t other_len = load_u16(&rd[p + 4]);
    p += 6;
    if (rd.size() - p != other_len) return TsigFind::kMalformed;
    r.other.assign(rd.begin() + static_cast<std::ptrdiff_t>(p), rd.end());
    *out = std::move(r);
    return TsigFind::kFound;
  }
  return TsigFind::kAbsent;
}

TsigCheck verify_tsig(std::span<const std::uint8_t> msg, const TsigRecord& rec, std::span<const TsigKey> keys,
                      std::int64_t now, std::span<const std::uint8_t> request_mac) {
  TsigCheck c;
  const TsigKey* key = nullptr;
  for (const TsigKey& k : keys)
    if (k.wire == rec.key_name) key = &k;
  if (key == nullptr || !(rec.algorithm == algorithm_name())) {
    c.error = TsigError::kBadKey;
    return c;
  }
  c.key = key;
  const std::size_t mac_size = rec.mac.size();
  if (mac_size > kHmacSha256Size || mac_size < kHmacSha256Size / 2) {
    c.formerr = true;
    return c;
  }
  const std::vector<std::uint8_t> d =
      digest_input(msg, rec.offset, true, rec.original_id, request_mac, rec.key_name, rec.algorithm,
                   rec.time_signed, rec.fudge, rec.error, rec.other);
  const std::vector<std::uint8_t> mac = hmac_sha256(key->secret, d);
  if (CRYPTO_memcmp(mac.data(), rec.mac.data(), mac_size) != 0) {
    c.error = TsigError::kBadSig;
    return c;
  }
  if (mac_size < kHmacSha256Size) {  // a valid truncated MAC, below our policy
    c.error = TsigError::kBadTrunc;
    return c;
  }
  const std::int64_t signed_at = static_cast<std::int64_t>(rec.time_signed);
  const std::int64_t skew = now > signed_at ? now - signed_at : signed_at - now;
  if (skew > rec.fudge) {
    c.error = TsigError::kBadTime;
    return c;
  }
  return c;
}

std::vector<std::uint8_t> sign_tsig(std::vector<std::uint8_t>& msg, const TsigKey& key,
                                    const TsigSignParams& p) {
  const Name algorithm = algorithm_name();
  const std::uint16_t id = load_u16(msg.data());
  const std::vector<std::uint8_t> d =
      digest_input(msg, msg.size(), false, id, p.request_mac, key.wire, algorithm, p.time_signed, p.fudge,
                   static_cast<std::uint16_t>(p.error), p.other);
  std::vector<std::uint8_t> mac = hmac_sha256(key.secret, d);
  append_tsig_record(msg, key.wire, algorithm, p.time_signed, p.fudge, mac, id,
                     static_cast<std::uint16_t>(p.error), p.other);
  return mac;
}

void append_unsigned_tsig(std::vector<std::uint8_t>& msg, const TsigRecord& request, TsigError error) {
  append_tsig_record(msg, request.key_name, request.algorithm, request.time_signed, request.fudge, {},
                     load_u16(msg.data()), static_cast<std::uint16_t>(error), {});
}

}  // namespace fastrbl::core
