#pragma once
// AnswerSink: how datasets add records to a response (rbldnsd's addrr_a_txt family).
//
// It knows the question type, so datasets call it unconditionally and it writes only the
// records that were asked for: A for A/ANY, TXT for TXT/ANY, MX for MX/ANY. It applies
// rbldnsd's rules for the answer section: identical records once, and all records of one
// type with the lowest TTL among them. A record that does not fit sets overflow(); the
// caller turns that into TC (our deliberate difference; rbldnsd drops it silently).
// Lives on the stack of one query. Thread safety: one per query.

#include "core/dns.h"
#include "core/wire_writer.h"
#include "zones/dataset.h"

#include <cstdint>
#include <span>
#include <string_view>

namespace fastrbl::zones {

/// Offset of the query name in every message: answer owners point here.
inline constexpr std::uint16_t kQnameOffset = 12;

class AnswerSink {
 public:
  AnswerSink(core::ResponseWriter& writer, std::uint16_t qtype) noexcept
      : w_(writer),
        want_a_(qtype == core::rrtype::kANY || qtype == core::rrtype::kA),
        want_txt_(qtype == core::rrtype::kANY || qtype == core::rrtype::kTXT),
        want_mx_(qtype == core::rrtype::kANY || qtype == core::rrtype::kMX) {}

  bool wants_a() const noexcept { return want_a_; }
  bool wants_txt() const noexcept { return want_txt_; }
  bool wants_mx() const noexcept { return want_mx_; }

  /// The A record and the expanded TXT of `v` (as rbldnsd's addrr_a_txt). Inline up to
  /// the TXT (the datasets' emit() of every positive A answer calls it).
  void add_a_txt(const Value& v, const TxtVars& vars, std::string_view subject, std::uint32_t ttl) noexcept {
    add_a(v.a, ttl);
    if (want_txt_) add_expanded_txt(v, vars, subject, ttl);
  }
  void add_a(const std::array<std::uint8_t, 4>& a, std::uint32_t ttl) noexcept {
    if (!want_a_) return;
    const auto t = w_.merge_answer_ttl(core::rrtype::kA, a, ttl);
    if (!t) return;  // the same record is already there
    if (!w_.add_a(kQnameOffset, *t, a.data())) overflow_ = true;
  }
  /// A TXT record with verbatim text (generic datasets; no substitution).
  void add_txt(std::string_view text, std::uint32_t ttl) noexcept;
  void add_mx(std::uint16_t pref, const std::uint8_t* exchange, std::uint32_t ttl) noexcept;

  /// True once any record failed to fit.
  bool overflow() const noexcept { return overflow_; }
  core::ResponseWriter& writer() noexcept { return w_; }

 private:
  // The TXT half of add_a_txt().
  void add_expanded_txt(const Value& v, const TxtVars& vars, std::string_view subject,
                        std::uint32_t ttl) noexcept;
  // Both TXT paths' end: `rdata` is one character-string (its length byte first), merged
  // with the answer's TXT records (TTL, duplicates) and written.
  void add_txt_rdata(std::span<const std::uint8_t> rdata, std::uint32_t ttl) noexcept;

  core::ResponseWriter& w_;
  bool want_a_ = false, want_txt_ = false, want_mx_ = false;
  bool overflow_ = false;
};

}  // namespace fastrbl::zones
