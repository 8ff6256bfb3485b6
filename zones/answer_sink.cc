#include "zones/answer_sink.h"

#include "core/dns.h"

#include <array>
#include <cstring>

namespace fastrbl::zones {

void AnswerSink::add_txt(std::string_view text, std::uint32_t ttl) noexcept {
  if (!want_txt_) return;
  std::array<std::uint8_t, 256> rdata;  // [0, n] written below, nothing else read
  std::size_t n = text.size() < 255 ? text.size() : 255;
  rdata[0] = static_cast<std::uint8_t>(n);
  if (n != 0) std::memcpy(rdata.data() + 1, text.data(), n);
  add_txt_rdata(std::span(rdata.data(), n + 1), ttl);
}

void AnswerSink::add_txt_rdata(std::span<const std::uint8_t> rdata, std::uint32_t ttl) noexcept {
  const auto t = w_.merge_answer_ttl(core::rrtype::kTXT, rdata, ttl);
  if (!t) return;  // the same record is already there
  if (!w_.add_txt(kQnameOffset, core::rrclass::kIN, *t, rdata.subspan(1))) overflow_ = true;
}

void AnswerSink::add_expanded_txt(const Value& v, const TxtVars& vars, std::string_view subject,
                                  std::uint32_t ttl) noexcept {
  // Expanded straight into the RDATA (length byte first): no second copy, as add_txt() makes.
  std::array<char, 1 + kMaxTxtLen> rdata;  // [0, 1 + n) written below, nothing else read
  const std::size_t n =
      expand_txt(v.txt, vars, subject, std::span<char, kMaxTxtLen>(rdata.data() + 1, kMaxTxtLen));
  if (n == 0) return;
  rdata[0] = static_cast<char>(n);                                          // n <= kMaxTxtLen < 256
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(rdata.data());  // NOLINT: chars as bytes
  add_txt_rdata(std::span(bytes, n + 1), ttl);
}

void AnswerSink::add_mx(std::uint16_t pref, const std::uint8_t* exchange, std::uint32_t ttl) noexcept {
  if (!want_mx_) return;
  // The RDATA as written (preference, uncompressed exchange), for the duplicate and TTL rules.
  std::array<std::uint8_t, 2 + core::kMaxNameLen> rdata;  // [0, 2 + n) written below
  rdata[0] = static_cast<std::uint8_t>(pref >> 8);
  rdata[1] = static_cast<std::uint8_t>(pref);
  std::size_t n = 1;
  while (exchange[n - 1] != 0) n += exchange[n - 1] + 1u;
  for (std::size_t i = 0; i < n; ++i) rdata[2 + i] = exchange[i];
  const auto t = w_.merge_answer_ttl(core::rrtype::kMX, std::span(rdata.data(), 2 + n), ttl);
  if (!t) return;  // the same record is already there
  if (!w_.add_mx(kQnameOffset, *t, pref, exchange)) overflow_ = true;
}

}  // namespace fastrbl::zones
