#pragma once
// TSIG (RFC 8945) with hmac-sha256: the key files `tsig-keygen` writes, finding the TSIG
// record of a message, verifying a request's MAC and signing a reply (or a request, for
// `fastrblctl feed push`).
//
// This is not the query path: DNS UPDATE messages are verified on the control thread, so
// these functions allocate (std::vector, std::string) and use OpenSSL's HMAC. Only
// hmac-sha256 is accepted (a key of another algorithm is refused when the file is read).
// MACs must be full length (32 bytes): a shorter, RFC-valid truncation is answered
// BADTRUNC (our local policy, RFC 8945 5.2.2.1), a MAC shorter than 16 bytes or longer
// than 32 is a FORMERR.
//
// Thread safety: plain functions over their arguments; keys are immutable values.

#include "core/dname.h"
#include "core/status.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::core {

inline constexpr std::string_view kHmacSha256 = "hmac-sha256";
inline constexpr std::size_t kHmacSha256Size = 32;
inline constexpr std::uint16_t kDefaultFudge = 300;

/// TSIG error codes (the Error field of the TSIG record, RFC 8945 section 3).
enum class TsigError : std::uint16_t {
  kNone = 0,
  kBadSig = 16,
  kBadKey = 17,
  kBadTime = 18,
  kBadTrunc = 22,
};

struct TsigKey {
  std::string name;  ///< lowercase presentation form, no final dot ("update-key")
  Name wire;         ///< the same name, lowercase wire form (canonical, for the MAC)
  std::vector<std::uint8_t> secret;
};

/// Parses key statements as `tsig-keygen` (and ddns-confgen, rndc-confgen) write them:
///   key "name" { algorithm hmac-sha256; secret "base64"; };
/// Several keys per text; `#`, `//` and `/* */` comments; the name quoted or bare.
/// Errors read `file FILE(LINE): message` (as the data-file loader's), e.g. an unknown
/// algorithm, a secret that is not base64, a key defined twice, a missing `;`.
Result<std::vector<TsigKey>> parse_tsig_keys(std::string_view text, std::string_view file);
/// Reads and parses a key file (parse_tsig_keys()); an unreadable file names the file.
Result<std::vector<TsigKey>> load_tsig_keys(const std::string& path);
/// The key `name` (case-insensitive, a final dot ignored), or null.
const TsigKey* find_tsig_key(std::span<const TsigKey> keys, std::string_view name) noexcept;
/// Makes one key from `[hmac-sha256:]name:base64secret` (nsupdate -y's form).
Result<TsigKey> tsig_key_from_spec(std::string_view spec);

/// Reads a possibly compressed name at `pos` of `msg` into *out (as sent, not lowered) and
/// sets *after to the offset after it in place. False on a malformed name (a pointer
/// forward or out of bounds, a loop, more than 255 bytes).
bool read_wire_name(std::span<const std::uint8_t> msg, std::size_t pos, Name* out,
                    std::size_t* after) noexcept;

/// The TSIG record of a message, as found by find_tsig().
struct TsigRecord {
  std::size_t offset = 0;  ///< where the record starts (its owner name) in the message
  Name key_name;           ///< lowercase
  Name algorithm;          ///< lowercase
  std::uint64_t time_signed = 0;
  std::uint16_t fudge = 0;
  std::vector<std::uint8_t> mac;
  std::uint16_t original_id = 0;
  std::uint16_t error = 0;
  std::vector<std::uint8_t> other;
};

enum class TsigFind : std::uint8_t {
  kAbsent,     ///< the message is not signed
  kFound,      ///< *out is the TSIG record, the last one of the additional section
  kMalformed,  ///< the records cannot be walked, or a TSIG record is not the last one
};

/// Walks every record after the header (QDCOUNT questions, then AN+NS+AR records) and
/// finds the TSIG record. Requires nothing of the header but its 12 bytes.
TsigFind find_tsig(std::span<const std::uint8_t> msg, TsigRecord* out);

/// What verify_tsig() decided.
struct TsigCheck {
  /// kNone: the MAC is good and the time within the fudge. Otherwise the TSIG error to
  /// answer with (rcode NOTAUTH); `formerr` instead: the record itself is malformed.
  TsigError error = TsigError::kNone;
  bool formerr = false;
  const TsigKey* key = nullptr;  ///< the key used (null for BADKEY)
};

/// Verifies the TSIG record `rec` (from find_tsig() on `msg`) of a request, or of a
/// response to a request whose MAC was `request_mac` (empty for a request). Order of
/// RFC 8945 5.2: key and algorithm (BADKEY), MAC size (FORMERR, BADTRUNC), MAC (BADSIG),
/// then the time against `now` (BADTIME).
TsigCheck verify_tsig(std::span<const std::uint8_t> msg, const TsigRecord& rec, std::span<const TsigKey> keys,
                      std::int64_t now, std::span<const std::uint8_t> request_mac = {});

/// The fields of a TSIG record to append.
struct TsigSignParams {
  std::uint64_t time_signed = 0;
  std::uint16_t fudge = kDefaultFudge;
  TsigError error = TsigError::kNone;
  std::vector<std::uint8_t> other;  ///< BADTIME: the server's time (6 bytes)
  /// For a response: the request's MAC (covered by the response's MAC). Empty: a request.
  std::vector<std::uint8_t> request_mac;
};

/// Signs `msg` (a complete message whose ARCOUNT does not count the TSIG record yet):
/// appends the TSIG record and increments ARCOUNT. Returns the MAC. Requires: msg holds
/// at least a header.
std::vector<std::uint8_t> sign_tsig(std::vector<std::uint8_t>& msg, const TsigKey& key,
                                    const TsigSignParams& p);

/// Appends an unsigned TSIG record (MAC size 0) for a BADKEY or BADSIG reply (RFC 8945
/// 5.3.2): the request's key name and algorithm, its time, `error`; increments ARCOUNT.
void append_unsigned_tsig(std::vector<std::uint8_t>& msg, const TsigRecord& request, TsigError error);

}  // namespace fastrbl::core
