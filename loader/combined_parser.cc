#include "loader/combined_parser.h"

#include "core/dname.h"
#include "core/log.h"
#include "loader/load.h"
#include "loader/parse_util.h"

#include <algorithm>

namespace fastrbl::loader {
namespace {

constexpr std::size_t kMaxSubsetName = 20;

}  // namespace

void CombinedParser::start_file(ReadState& st) {
  if (cur_) cur_->parser->start_file(*cur_->state);
  (void)st;
}

// The reader keeps specials in the combined meta; the nested parser reads its own state.
void CombinedParser::sync(ReadState& st) {
  cur_->state->meta.ttl = st.meta.ttl;
  cur_->state->meta.txt = st.meta.txt;
  cur_->state->max_range4 = st.max_range4;
}

core::Status CombinedParser::parse_line(std::string_view line, ReadState& st) {
  if (!cur_) return core::Status::error(st.diag.format("invalid/unrecognized entry - specify $DATASET line"));
  sync(st);
  return cur_->parser->parse_line(line, *cur_->state);
}

core::Status CombinedParser::finish_section(ReadState& st) {
  if (!cur_) return core::Status::ok();
  sync(st);
  ReadState& sub = *cur_->state;
  sub.meta.stamp = st.meta.stamp;
  auto built = cur_->parser->finish(sub);
  if (!built.is_ok()) return built.status();
  std::string label = cur_->type + (cur_->name.empty() ? "" : ":" + cur_->name);
  FASTRBL_LOG_INFO("combined:%s:%s: %s", st.meta.spec.c_str(), label.c_str(), built.value().stats.c_str());
  std::shared_ptr<const zones::Dataset> ds = std::move(built.value().dataset);
  for (const auto& name : cur_->subzones) {
    auto it = std::find_if(subzones_.begin(), subzones_.end(),
                           [&](const zones::Combined::Subzone& z) { return z.name == name; });
    if (it == subzones_.end()) {
      subzones_.emplace_back();
      it = subzones_.end() - 1;
      it->name = name;
      std::size_t labels = 0;
      for (std::size_t pos = 0; pos < name.size(); pos += std::size_t{name[pos]} + 1) ++labels;
      it->labels = labels;
    }
    it->datasets.push_back(ds);
  }
  cur_.reset();
  return core::Status::ok();
}

core::Result<SpecialResult> CombinedParser::dataset_special(std::string_view args, ReadState& st) {
  if (!started_) {
    started_ = true;
    common_ttl_ = st.meta.ttl;
    common_txt_ = st.meta.txt;
  }
  core::Status s = finish_section(st);
  if (!s.is_ok()) return s;

  std::size_t n = 0;
  while (n < args.size() && !is_space(args[n])) ++n;
  const std::string_view spec = args.substr(0, n);
  std::string_view rest = skip_space(args.substr(n));
  const std::size_t colon = spec.find(':');
  const std::string_view type = spec.substr(0, colon);
  const std::string_view name = colon == std::string_view::npos ? std::string_view() : spec.substr(colon + 1);
  if (type == "combined" || type == "acl")
    return core::Status::error(
        st.diag.format("dataset type `%s' cannot be used inside `combined'", std::string(type).c_str()));
  auto parser = make_parser(type);
  if (!parser.is_ok())
    return core::Status::error(st.diag.format("%s", std::string(parser.status().message()).c_str()));

  auto sec = std::make_unique<Section>();
  sec->type = std::string(type);
  sec->name = std::string(name.substr(0, kMaxSubsetName));
  while (!rest.empty() && !is_comment(rest[0])) {
    n = 0;
    while (n < rest.size() && !is_space(rest[n])) ++n;
    const std::string_view word = rest.substr(0, n);
    rest = skip_space(rest.substr(n));
    core::Name z;  // `@`: the zone itself
    if (word != "@") {
      auto parsed = core::Name::from_text(word);
      if (!parsed.is_ok()) return SpecialResult::kInvalid;
      z = parsed.value().lowered();
    }
    std::vector<std::uint8_t> key(z.data(), z.data() + z.size() - 1);
    if (std::find(sec->subzones.begin(), sec->subzones.end(), key) == sec->subzones.end())
      sec->subzones.push_back(std::move(key));
  }
  if (sec->subzones.empty()) st.diag.warn("no subzone(s) specified for dataset, data will be ignored");

  sec->parser = std::move(parser.value());
  sec->state = std::make_unique<ReadState>(st.options, st.diag);
  ReadState& sub = *sec->state;
  sub.meta.type = sec->type;
  sub.meta.spec = st.meta.spec;
  sub.now = st.now;
  sub.max_range4 = st.max_range4;
  // The subset starts from the common section's TTL and variables.
  st.meta.ttl = common_ttl_;
  st.meta.txt = common_txt_;
  cur_ = std::move(sec);
  sync(st);
  cur_->parser->start_file(sub);
  ++datasets_;
  return SpecialResult::kOk;
}

core::Result<BuiltDataset> CombinedParser::finish(ReadState& st) {
  core::Status s = finish_section(st);
  if (!s.is_ok()) return s;
  if (started_) {
    st.meta.ttl = common_ttl_;
    st.meta.txt = common_txt_;
  }
  auto c = std::make_shared<zones::Combined>(std::move(st.meta), std::move(subzones_), datasets_,
                                             std::move(pool_));
  BuiltDataset out;
  out.stats = c->stats_text();
  out.dataset = std::move(c);
  return out;
}

}  // namespace fastrbl::loader
