// The LMDB store (zones/store.h): generations committed in one transaction, images served
// in place from the map, old generations readable while held and collected after, the
// schema version checked at open.

#include "loader/load.h"
#include "tests/loader/loader_test_util.h"
#include "zones/store.h"

#include <catch2/catch.hpp>
#include <lmdb.h>

#include <fcntl.h>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <unistd.h>
#include <vector>

namespace fastrbl::loader {
namespace {

using testing::TempDir;

// A data file big enough that its image lives in LMDB overflow pages.
std::string big_ip4set(std::uint32_t seed, std::size_t n) {
  std::mt19937 gen(seed);
  std::string data = ":127.0.0.2:Listed $\n";
  for (std::size_t i = 0; i < n; ++i) {
    const auto a = static_cast<std::uint32_t>(gen());
    data += std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
            std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255) + " :127.0.0." +
            std::to_string(2 + i % 3) + ":v" + std::to_string(i % 7) + "\n";
  }
  return data;
}

std::shared_ptr<zones::Store> open_store(const std::string& dir) {
  auto s = zones::Store::open({dir});
  INFO(s.status().message());
  REQUIRE(s.is_ok());
  return s.value();
}

zones::DatasetToCommit to_commit(const zones::Dataset& d) {
  zones::DatasetToCommit c;
  c.record.type = d.meta().type;
  c.record.spec = d.meta().spec;
  c.record.options = "test";
  c.record.entries = d.entries();
  auto image = zones::write_image(d);
  REQUIRE(image.is_ok());
  c.image = std::move(image).value();
  return c;
}

std::shared_ptr<const zones::Snapshot> snapshot_of(std::shared_ptr<const zones::Dataset> ds) {
  auto zs = parse_zone_spec("bl:ip4set:f");
  REQUIRE(zs.is_ok());
  LoadOptions opts;
  opts.now = testing::kLoadNow;
  return build_snapshot({zs.value()}, {std::move(ds)}, opts);
}

// The LMDB environment of the store in `db`, opened raw (not through Store) with one write
// transaction: for writing what other builds wrote. Committed by commit(), else aborted.
struct RawStore {
  MDB_env* env = nullptr;
  MDB_txn* txn = nullptr;

  explicit RawStore(const std::string& db) {
    REQUIRE(mdb_env_create(&env) == 0);
    mdb_env_set_maxdbs(env, 8);
    REQUIRE(mdb_env_open(env, db.c_str(), 0, 0640) == 0);
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  }
  RawStore(const RawStore&) = delete;
  RawStore& operator=(const RawStore&) = delete;
  ~RawStore() {
    if (txn != nullptr) mdb_txn_abort(txn);
    mdb_env_close(env);
  }
  MDB_dbi dbi(const char* name) {
    MDB_dbi d = 0;
    REQUIRE(mdb_dbi_open(txn, name, 0, &d) == 0);
    return d;
  }
  void put(MDB_dbi d, std::string key, std::span<const std::uint8_t> value) {
    MDB_val k{key.size(), key.data()};
    MDB_val v{value.size(), const_cast<std::uint8_t*>(value.data())};
    REQUIRE(mdb_put(txn, d, &k, &v, 0) == 0);
  }
  // The schema record as a build of that schema version and image format writes it.
  void put_schema(std::uint32_t version, std::uint32_t format) {
    zones::ByteWriter w;
    w.str("fastrbl-lmdb");
    w.u32(version);
    w.u32(format);
    w.u32(0x01020304);
    put(dbi("meta"), "schema", w.bytes());
  }
  void commit() {
    REQUIRE(mdb_txn_commit(txn) == 0);
    txn = nullptr;
  }
};

// How many of the whole pages inside `bytes` are in this process's page tables
// (/proc/self/pagemap bit 63, "present"; readable without privileges).
std::size_t mapped_pages(std::span<const std::uint8_t> bytes) {
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(bytes.data());
  const std::uintptr_t first = (begin + page - 1) / page, last = (begin + bytes.size()) / page;
  const int fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  std::size_t n = 0;
  for (std::uintptr_t p = first; p < last; ++p) {
    std::uint64_t entry = 0;
    REQUIRE(::pread(fd, &entry, sizeof entry, static_cast<off_t>(p * sizeof entry)) ==
            static_cast<ssize_t>(sizeof entry));
    n += (entry >> 63) & 1;
  }
  ::close(fd);
  return n;
}

std::string reversed_query(std::uint32_t a) {
  return std::to_string(a & 255) + "." + std::to_string((a >> 8) & 255) + "." +
         std::to_string((a >> 16) & 255) + "." + std::to_string(a >> 24) + ".bl";
}

TEST_CASE("store: commit, reopen, serve in place, same answers", "[store]") {
  TempDir dir;
  const std::string db = dir.file("db");
  testing::LoadedZone l = testing::load_files("bl", "ip4set", {{"f", big_ip4set(1, 3000)}});
  REQUIRE(l.error.is_ok());
  const auto& ds = *l.snap->zones().at(0).datasets.at(0);
  {
    auto store = open_store(db);
    auto cur = store->current();
    REQUIRE(cur.is_ok());
    CHECK_FALSE(cur.value().has_value());
    std::vector<zones::DatasetToCommit> c;
    c.push_back(to_commit(ds));
    auto rec = store->commit(std::move(c));
    REQUIRE(rec.is_ok());
    CHECK(rec.value().generation == 1);
  }
  auto store = open_store(db);  // reopened: the schema is checked again
  auto gen = store->open_generation();
  REQUIRE(gen.is_ok());
  const zones::GenerationRecord& rec = gen.value()->record();
  CHECK(rec.generation == 1);
  REQUIRE(rec.datasets.size() == 1);
  CHECK(rec.datasets[0].entries == ds.entries());
  CHECK(rec.datasets[0].image_bytes > 4096);
  auto opened = gen.value()->open_dataset(rec.datasets[0]);
  INFO(opened.status().message());
  REQUIRE(opened.is_ok());
  // LMDB places an overflow value 16 bytes after a page boundary: served in place.
  CHECK(opened.value().in_place);
  auto bytes = gen.value()->image_bytes(rec.datasets[0]);
  REQUIRE(bytes.is_ok());
  CHECK(reinterpret_cast<std::uintptr_t>(bytes.value().data()) % zones::kImageAlign ==
        zones::kImageAlignOffset);

  auto snap = snapshot_of(opened.value().dataset);
  std::mt19937 gen2(1);
  for (int i = 0; i < 3000; ++i) {
    const auto a = static_cast<std::uint32_t>(gen2());
    const std::uint32_t probe = i % 2 == 0 ? a : a ^ 1u;
    const std::string q = std::to_string(probe & 255) + "." + std::to_string((probe >> 8) & 255) + "." +
                          std::to_string((probe >> 16) & 255) + "." + std::to_string(probe >> 24) + ".bl";
    INFO(q);
    const auto x = testing::ask(*l.snap, q), y = testing::ask(*snap, q);
    CHECK(x.found == y.found);
    CHECK(x.rrs == y.rrs);
  }
}

TEST_CASE("store: an old generation stays readable while held, then its image is collected", "[store]") {
  TempDir dir;
  auto store = open_store(dir.file("db"));
  testing::LoadedZone a = testing::load_files("bl", "ip4set", {{"f", big_ip4set(2, 2000)}});
  testing::LoadedZone b = testing::load_files("bl", "ip4set", {{"f", big_ip4set(3, 2000)}});
  REQUIRE(a.error.is_ok());
  REQUIRE(b.error.is_ok());
  std::vector<zones::DatasetToCommit> c;
  c.push_back(to_commit(*a.snap->zones().at(0).datasets.at(0)));
  REQUIRE(store->commit(std::move(c)).is_ok());

  auto g1 = store->open_generation();
  REQUIRE(g1.is_ok());
  auto old = g1.value()->open_dataset(g1.value()->record().datasets.at(0));
  REQUIRE(old.is_ok());
  const zones::StoredDataset old_record = g1.value()->record().datasets.at(0);
  auto old_snap = snapshot_of(old.value().dataset);
  g1.value().reset();  // the dataset alone keeps the generation's transaction

  // Generation 2 carries the image over; generation 3 replaces it.
  zones::DatasetToCommit carry;
  carry.record = old_record;
  std::vector<zones::DatasetToCommit> c2;
  c2.push_back(carry);
  auto r2 = store->commit(std::move(c2));
  REQUIRE(r2.is_ok());
  CHECK(r2.value().generation == 2);
  CHECK(r2.value().datasets.at(0).image.generation == 1);
  std::vector<zones::DatasetToCommit> c3;
  c3.push_back(to_commit(*b.snap->zones().at(0).datasets.at(0)));
  auto r3 = store->commit(std::move(c3));
  REQUIRE(r3.is_ok());
  CHECK(r3.value().generation == 3);
  CHECK(r3.value().datasets.at(0).image.generation == 3);

  // The held dataset still answers from generation 1's pages.
  const std::vector<std::string> names = {"1.0.0.10.bl", "2.1.0.10.bl"};
  std::mt19937 gen(2);
  for (int i = 0; i < 200; ++i) {
    const auto v = static_cast<std::uint32_t>(gen());
    const std::string q = std::to_string(v & 255) + "." + std::to_string((v >> 8) & 255) + "." +
                          std::to_string((v >> 16) & 255) + "." + std::to_string(v >> 24) + ".bl";
    CHECK(testing::ask(*old_snap, q).rrs == testing::ask(*a.snap, q).rrs);
  }
  // The image of generation 1 is gone from the current state.
  auto g3 = store->open_generation();
  REQUIRE(g3.is_ok());
  CHECK_FALSE(g3.value()->image_bytes(old_record).is_ok());
  CHECK(g3.value()->open_dataset(g3.value()->record().datasets.at(0)).is_ok());
}

TEST_CASE("store: another schema version is refused with a clear message", "[store]") {
  // 1: a store of the first schema (no feed tables), which this build refuses without
  // creating anything in it; 999: a future one.
  for (const std::uint32_t version : {1u, 999u}) {
    INFO("schema version " << version);
    TempDir dir;
    const std::string db = dir.file("db");
    open_store(db);
    {
      // Rewrite the schema record as that version wrote it.
      RawStore raw(db);
      if (version == 1) {
        for (const char* name : {"feed_entries", "feed_meta"})
          REQUIRE(mdb_drop(raw.txn, raw.dbi(name), 1) == 0);
      }
      raw.put_schema(version, zones::kImageFormat);
      raw.commit();
    }
    auto s = zones::Store::open({db});
    REQUIRE_FALSE(s.is_ok());
    CHECK(std::string(s.status().message()) ==
          "LMDB store " + db + " has schema version " + std::to_string(version) +
              " (image format 2); this fastrbl uses schema version 2 (image format 2): "
              "recompile into a new directory (fastrblctl compile --db DIR) or remove this one");
    if (version == 1) {
      MDB_env* env = nullptr;
      REQUIRE(mdb_env_create(&env) == 0);
      mdb_env_set_maxdbs(env, 8);
      REQUIRE(mdb_env_open(env, db.c_str(), MDB_RDONLY, 0640) == 0);
      MDB_txn* txn = nullptr;
      REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
      MDB_dbi d = 0;
      CHECK(mdb_dbi_open(txn, "feed_entries", 0, &d) == MDB_NOTFOUND);
      mdb_txn_abort(txn);
      mdb_env_close(env);
    }
  }
}

namespace {

// Rewrites the schema record of the store in `db` with another image format, and puts one
// record into feed_meta (the feed tables are not derived data and must survive).
void set_image_format(const std::string& db, std::uint32_t format) {
  RawStore raw(db);
  raw.put_schema(zones::kStoreSchemaVersion, format);
  const std::string provenance = "provenance";
  raw.put(raw.dbi("feed_meta"), "feed:kept",
          std::span(reinterpret_cast<const std::uint8_t*>(provenance.data()), provenance.size()));
  raw.commit();
}

bool feed_record_kept(const zones::Store& store) {
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(store.env(), nullptr, MDB_RDONLY, &txn) == 0);
  std::string fkey = "feed:kept";
  MDB_val fk{fkey.size(), fkey.data()}, fv{};
  const bool kept = mdb_get(txn, store.feed_meta_dbi(), &fk, &fv) == 0 &&
                    std::string_view(static_cast<const char*>(fv.mv_data), fv.mv_size) == "provenance";
  mdb_txn_abort(txn);
  return kept;
}

}  // namespace

TEST_CASE("store: images of an older image format are dropped and compiled again, feed tables kept",
          "[store]") {
  testing::LoadedZone l = testing::load_files("bl", "ip4set", {{"f", big_ip4set(11, 500)}});
  const zones::Dataset& ds = *l.snap->zones().at(0).datasets.at(0);
  TempDir dir;
  const std::string db = dir.file("db");
  {
    auto store = open_store(db);
    std::vector<zones::DatasetToCommit> c;
    c.push_back(to_commit(ds));
    REQUIRE(store->commit(std::move(c)).is_ok());
  }
  set_image_format(db, zones::kImageFormat - 1);

  // A read-only open (fastrblctl dump, stats) refuses and changes nothing.
  auto ro = zones::Store::open({.dir = db, .read_only = true});
  REQUIRE_FALSE(ro.is_ok());
  CHECK(std::string(ro.status().message())
            .find("(image format " + std::to_string(zones::kImageFormat - 1) + "); this fastrbl uses") !=
        std::string::npos);

  // A writable open drops the images and the generation record, keeps the feed tables.
  auto store = open_store(db);
  auto cur = store->current();
  REQUIRE(cur.is_ok());
  CHECK_FALSE(cur.value().has_value());
  CHECK(feed_record_kept(*store));
  std::vector<zones::DatasetToCommit> c;
  c.push_back(to_commit(ds));
  auto rec = store->commit(std::move(c));
  REQUIRE(rec.is_ok());
  CHECK(rec.value().generation == 1);
  auto gen = store->open_generation();
  REQUIRE(gen.is_ok());
  CHECK(gen.value()->open_dataset(gen.value()->record().datasets.at(0)).is_ok());
  store.reset();
  gen.value().reset();
  CHECK(open_store(db)->current().value().has_value());  // the rewritten schema is accepted
}

TEST_CASE("store: a newer image format is refused and left untouched", "[store]") {
  TempDir dir;
  const std::string db = dir.file("db");
  open_store(db);
  set_image_format(db, zones::kImageFormat + 1);
  auto s = zones::Store::open({db});
  REQUIRE_FALSE(s.is_ok());
  CHECK(std::string(s.status().message())
            .find("(image format " + std::to_string(zones::kImageFormat + 1) + "); this fastrbl uses") !=
        std::string::npos);
  auto again = zones::Store::open({db});  // still refused: nothing was rewritten
  CHECK_FALSE(again.is_ok());
}

TEST_CASE("store: a read-only open of a missing or empty store says so", "[store]") {
  TempDir dir;
  zones::Store::Options o;
  o.dir = dir.path();
  o.read_only = true;
  auto s = zones::Store::open(o);
  REQUIRE_FALSE(s.is_ok());
  CHECK_THAT(std::string(s.status().message()), Catch::Contains("LMDB store"));
}

}  // namespace
}  // namespace fastrbl::loader

namespace fastrbl::loader {
namespace {

TEST_CASE("store: opening an image leaves none of it mapped, replaced images are released", "[store]") {
  TempDir dir;
  auto store = open_store(dir.file("db"));
  testing::LoadedZone a = testing::load_files("bl", "ip4set", {{"f", big_ip4set(7, 60000)}});
  testing::LoadedZone b = testing::load_files("bl", "ip4set", {{"f", big_ip4set(8, 60000)}});
  REQUIRE(a.error.is_ok());
  REQUIRE(b.error.is_ok());
  std::vector<zones::DatasetToCommit> c;
  c.push_back(to_commit(*a.snap->zones().at(0).datasets.at(0)));
  REQUIRE(store->commit(std::move(c)).is_ok());
  auto g1 = store->open_generation();
  REQUIRE(g1.is_ok());
  const zones::StoredDataset rec = g1.value()->record().datasets.at(0);
  auto bytes = g1.value()->image_bytes(rec);
  REQUIRE(bytes.is_ok());
  REQUIRE(bytes.value().size() > 200000);  // many pages
  auto opened = g1.value()->open_dataset(rec);
  INFO(opened.status().message());
  REQUIRE(opened.is_ok());
  REQUIRE(opened.value().in_place);
  // The checksum and the bounds checks read all of it, and dropped what they read.
  CHECK(mapped_pages(bytes.value()) == 0);
  // Queries map what they read, and answer as the text did.
  auto snap = snapshot_of(opened.value().dataset);
  std::mt19937 gen(7);
  for (int i = 0; i < 2000; ++i) {
    const std::string q = reversed_query(static_cast<std::uint32_t>(gen()));
    CHECK(testing::ask(*snap, q).rrs == testing::ask(*a.snap, q).rrs);
  }
  CHECK(mapped_pages(bytes.value()) > 0);
  // Still named by the current generation: kept.
  store->release_unnamed_pages();
  CHECK(mapped_pages(bytes.value()) > 0);
  // Replaced by generation 2: released while the snapshot still serves it, and it still
  // answers (the pages are read again from the page cache).
  std::vector<zones::DatasetToCommit> c2;
  c2.push_back(to_commit(*b.snap->zones().at(0).datasets.at(0)));
  REQUIRE(store->commit(std::move(c2)).is_ok());
  store->release_unnamed_pages();
  CHECK(mapped_pages(bytes.value()) == 0);
  std::mt19937 again(7);
  for (int i = 0; i < 200; ++i) {
    const std::string q = reversed_query(static_cast<std::uint32_t>(again()));
    CHECK(testing::ask(*snap, q).rrs == testing::ask(*a.snap, q).rrs);
  }
}

TEST_CASE("store: a carried-over image reuses its open dataset and the older generation ends", "[store]") {
  TempDir dir;
  auto store = open_store(dir.file("db"));
  testing::LoadedZone a = testing::load_files("bl", "ip4set", {{"f", big_ip4set(4, 3000)}});
  testing::LoadedZone b = testing::load_files("bl", "ip4set", {{"f", big_ip4set(5, 3000)}});
  testing::LoadedZone b2 = testing::load_files("bl", "ip4set", {{"f", big_ip4set(6, 3000)}});
  REQUIRE((a.error.is_ok() && b.error.is_ok() && b2.error.is_ok()));
  std::vector<zones::DatasetToCommit> c;
  c.push_back(to_commit(*a.snap->zones().at(0).datasets.at(0)));
  c.push_back(to_commit(*b.snap->zones().at(0).datasets.at(0)));
  c[0].record.spec = "a";
  c[1].record.spec = "b";
  REQUIRE(store->commit(std::move(c)).is_ok());

  auto g1 = store->open_generation();
  REQUIRE(g1.is_ok());
  const zones::StoredDataset rec_a = g1.value()->record().datasets.at(0);
  auto a1 = g1.value()->open_dataset(rec_a);
  auto b1 = std::make_optional(g1.value()->open_dataset(g1.value()->record().datasets.at(1)));
  REQUIRE((a1.is_ok() && b1->is_ok()));
  std::weak_ptr<zones::Generation> w1 = g1.value();
  g1.value().reset();

  // Generation 2: a carried over, b replaced.
  std::vector<zones::DatasetToCommit> c2(1);
  c2[0].record = rec_a;
  c2.push_back(to_commit(*b2.snap->zones().at(0).datasets.at(0)));
  c2[1].record.spec = "b";
  REQUIRE(store->commit(std::move(c2)).is_ok());
  auto g2 = store->open_generation();
  REQUIRE(g2.is_ok());
  auto a2 = g2.value()->open_dataset(g2.value()->record().datasets.at(0));
  auto b2o = g2.value()->open_dataset(g2.value()->record().datasets.at(1));
  REQUIRE((a2.is_ok() && b2o.is_ok()));
  CHECK(a2.value().dataset == a1.value().dataset);  // not opened (read, checked) again
  CHECK(a2.value().in_place);
  CHECK(b2o.value().dataset != b1->value().dataset);
  // Generation 1 is held by its b alone now: released with it (its reader slot freed).
  CHECK_FALSE(w1.expired());
  b1.reset();
  CHECK(w1.expired());
  // a, held through generation 2, still answers.
  auto snap = snapshot_of(a2.value().dataset);
  std::mt19937 gen(4);
  for (int i = 0; i < 500; ++i) {
    const std::string q = reversed_query(static_cast<std::uint32_t>(gen()));
    CHECK(testing::ask(*snap, q).rrs == testing::ask(*a.snap, q).rrs);
  }
}

TEST_CASE("store: an image corrupted in the store is refused at open", "[store]") {
  TempDir dir;
  auto store = open_store(dir.file("db"));
  testing::LoadedZone a = testing::load_files("bl", "ip4set", {{"f", big_ip4set(9, 3000)}});
  REQUIRE(a.error.is_ok());
  for (const std::size_t at : {std::size_t{16}, std::size_t{5000}, std::size_t{0}}) {
    std::vector<zones::DatasetToCommit> c;
    c.push_back(to_commit(*a.snap->zones().at(0).datasets.at(0)));
    // One bit flipped after the checksum field (the record carries the header's CRC).
    const std::size_t pos = at == 0 ? c[0].image.size() - 1 : at;
    c[0].image[pos] ^= 0x10;
    REQUIRE(store->commit(std::move(c)).is_ok());
    auto g = store->open_generation();
    REQUIRE(g.is_ok());
    auto opened = g.value()->open_dataset(g.value()->record().datasets.at(0));
    INFO(pos);
    REQUIRE_FALSE(opened.is_ok());
    CHECK(opened.status().message() == "ip4set:f: dataset image: checksum mismatch (corrupted)");
  }
}

}  // namespace
}  // namespace fastrbl::loader
