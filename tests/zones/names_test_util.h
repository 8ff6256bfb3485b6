#pragma once
// Helpers for the name-keyed dataset tests (dnset, generic, combined): allocation counting
// (support/alloc_counter.h; link fastrbl_test_alloc_counter), a QueryKey built from presentation text, and
// run(), which queries one dataset and returns its answer records in wire order.

#include "core/dname.h"
#include "core/dns.h"
#include "core/wire_writer.h"
#include "support/alloc_counter.h"
#include "support/answer_text.h"
#include "zones/answer_sink.h"
#include "zones/dataset.h"

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::testing {

/// A relative name as the QueryKey sees it: lowercase wire labels, no root byte.
struct NameKey {
  core::Name name;
  zones::QueryKey key;
  NameKey(std::string_view text, std::uint16_t qtype) {
    auto n = core::Name::from_text(text);
    name = n.is_ok() ? n.value().lowered() : core::Name();
    key.name = std::span<const std::uint8_t>(name.data(), name.size() - 1);
    key.labels = name.label_count();
    key.qtype = qtype;
  }
  NameKey(const NameKey&) = delete;
  NameKey& operator=(const NameKey&) = delete;
};

/// The name as a wire span (lowercase, no root byte); `storage` keeps the bytes.
inline std::span<const std::uint8_t> wire(std::string_view text, core::Name& storage) {
  auto n = core::Name::from_text(text);
  storage = n.is_ok() ? n.value().lowered() : core::Name();
  return {storage.data(), storage.size() - 1};
}

struct Result {
  bool found = false;
  std::vector<std::string> rrs;  // wire order: "A 1.2.3.4 300", "TXT text 300", "MX 10 300"
  long allocations = 0;
};

/// Queries `ds` for `name` (relative) and returns the records in wire order.
inline Result run(const zones::Dataset& ds, std::string_view name, std::uint16_t qtype = core::rrtype::kANY) {
  NameKey k(name, qtype);
  std::vector<std::uint8_t> query = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'q', 0, 0, 255, 0, 1};
  std::vector<std::uint8_t> buf(core::kMaxTcpMessage);
  core::ResponseWriter w(buf);
  w.begin(query, query.size(), buf.size());
  zones::AnswerSink sink(w, qtype);
  Result r;
  g_allocations = 0;
  g_counting = true;
  r.found = ds.query(k.key, sink);
  g_counting = false;
  r.allocations = g_allocations.load();
  fastrbl::testing::for_each_answer(
      buf.data(), query.size(), w.count(core::Section::kAnswer),
      [&](std::uint16_t type, std::uint32_t ttl, std::span<const std::uint8_t> rd) {
        r.rrs.push_back(fastrbl::testing::rr_plain_text(type, ttl, rd));
      });
  return r;
}

}  // namespace fastrbl::testing
