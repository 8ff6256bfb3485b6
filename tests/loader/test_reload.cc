// Tests for loader/reload.h: change detection (rewrite in place, rename, mtime only,
// missing file), reloading only what changed and sharing the rest, keeping the last good
// data of a dataset that fails, never-loaded datasets, expiry re-checked at every check,
// and the messages (rbldnsd's words where rbldnsd does the same).

#include "loader/reload.h"
#include "tests/loader/loader_test_util.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace fastrbl::loader {
namespace {

using testing::ask;
using testing::LogCapture;
using testing::Rrs;
using testing::ScopedChdir;
using testing::TempDir;
using Lines = std::vector<std::string>;

constexpr std::time_t kNow = 1800000000;
constexpr std::time_t kMtime = 1700000000;

const zones::Zone* zone(const zones::Snapshot& s, const std::string& name) {
  auto n = core::Name::from_text(name).value();
  for (const zones::Zone& z : s.zones())
    if (z.name == n) return &z;
  return nullptr;
}

std::unique_ptr<ZoneSet> make_set(const std::vector<std::string>& specs) {
  LoadOptions o;
  o.now = kNow;
  auto set = ZoneSet::create(specs, o);
  REQUIRE(set.is_ok());
  return std::move(set).value();
}

// The messages of a check, as "I: ...", "W: ...", "E: ...".
Lines run(ZoneSet& set, CheckResult* out) {
  LogCapture log;
  *out = set.check();
  return log.messages();
}

Rrs a_of(const zones::Snapshot& s, const std::string& qname) { return ask(s, qname, core::rrtype::kA).rrs; }

TEST_CASE("reload: the first check loads everything, an unchanged one does nothing", "[reload]") {
  TempDir dir;
  dir.write("a", "1.2.3.4 :127.0.0.2:A\n", kMtime);
  dir.write("b", "5.6.7.8 :127.0.0.3:B\n", kMtime);
  ScopedChdir cd(dir.path());
  auto set = make_set({"x:ip4set:a", "y:ip4set:a", "y:ip4set:b"});
  CHECK(set->dataset_count() == 2);
  CHECK(set->unloaded_count() == 2);
  CheckResult r;
  CHECK(run(*set, &r) == Lines{"I: ip4set:a: 20231114 221320: e32/24/16/8=1/0/0/0",
                               "I: ip4set:b: 20231114 221320: e32/24/16/8=1/0/0/0"});
  CHECK(r.loaded == 2);
  CHECK(r.failed == 0);
  REQUIRE(r.snapshot);
  CHECK(set->unloaded_count() == 0);
  CHECK(a_of(*r.snapshot, "4.3.2.1.y") == Rrs{"A 127.0.0.2 2100"});
  CHECK(a_of(*r.snapshot, "8.7.6.5.y") == Rrs{"A 127.0.0.3 2100"});

  CheckResult again;
  CHECK(run(*set, &again).empty());  // nothing changed: nothing logged
  CHECK_FALSE(again.attempted());
  CHECK(again.snapshot == nullptr);
}

TEST_CASE("reload: only the changed dataset reloads, the others are shared", "[reload]") {
  TempDir dir;
  dir.write("a", "1.2.3.4 :127.0.0.2:A\n", kMtime);
  dir.write("b", "5.6.7.8 :127.0.0.3:B\n", kMtime);
  ScopedChdir cd(dir.path());
  auto set = make_set({"x:ip4set:a", "y:ip4set:b", "z:ip4set:b"});
  CheckResult first;
  run(*set, &first);
  REQUIRE(first.snapshot);

  SECTION("rewritten in place with another size") {
    dir.write("b", "5.6.7.8 :127.0.0.4:B2\n9.9.9.9\n", kMtime);
  }
  SECTION("only the mtime changed") {
    dir.write("b", "5.6.7.8 :127.0.0.4:B\n", kMtime + 1);  // same size
  }
  SECTION("replaced with rename(2)") {
    dir.write("b.new", "5.6.7.8 :127.0.0.4:B\n", kMtime);  // same size and mtime, new file
    REQUIRE(std::rename("b.new", "b") == 0);
    TempDir::set_mtime(dir.file("b"), kMtime + 60);
  }
  CheckResult r;
  const Lines log = run(*set, &r);
  REQUIRE(log.size() == 1);
  CHECK(log[0].rfind("I: ip4set:b: ", 0) == 0);  // the one dataset that changed
  CHECK(r.loaded == 1);
  REQUIRE(r.snapshot);
  CHECK(a_of(*r.snapshot, "8.7.6.5.y") == Rrs{"A 127.0.0.4 2100"});
  CHECK(a_of(*r.snapshot, "8.7.6.5.z") == Rrs{"A 127.0.0.4 2100"});
  // The unchanged dataset is the very same object; the changed one is new and shared by
  // both of its zones.
  CHECK(zone(*r.snapshot, "x")->datasets[0] == zone(*first.snapshot, "x")->datasets[0]);
  CHECK(zone(*r.snapshot, "y")->datasets[0] != zone(*first.snapshot, "y")->datasets[0]);
  CHECK(zone(*r.snapshot, "y")->datasets[0] == zone(*r.snapshot, "z")->datasets[0]);
  // The old snapshot is untouched.
  CHECK(a_of(*first.snapshot, "8.7.6.5.y") == Rrs{"A 127.0.0.3 2100"});
}

TEST_CASE("reload: a missing file keeps the last good data until it is back", "[reload]") {
  TempDir dir;
  dir.write("a", "1.2.3.4 :127.0.0.2:A\n", kMtime);
  dir.write("b", "5.6.7.8 :127.0.0.3:B\n", kMtime);
  ScopedChdir cd(dir.path());
  auto set = make_set({"x:ip4set:a", "y:ip4set:a,b"});
  CheckResult first;
  run(*set, &first);
  REQUIRE(first.snapshot);
  REQUIRE(std::rename("b", "b.hold") == 0);

  CheckResult r;
  CHECK(run(*set, &r) == Lines{"E: file b: unable to open file: No such file or directory",
                               "W: ip4set:a,b: load failed, still serving the data loaded before"});
  CHECK(r.failed == 1);
  CHECK(r.loaded == 0);
  CHECK(r.attempted());
  CHECK(r.snapshot == nullptr);  // the running snapshot stays
  CHECK(set->unloaded_count() == 0);

  // Tried again at every check while the file differs from the last good load.
  CheckResult again;
  CHECK(run(*set, &again).size() == 2);
  CHECK(again.failed == 1);

  SECTION("restored as it was: nothing to reload, the data kept is that data") {
    REQUIRE(std::rename("b.hold", "b") == 0);
    CheckResult back;
    CHECK(run(*set, &back).empty());
    CHECK_FALSE(back.attempted());
  }
  SECTION("restored with new data: reloaded") {
    dir.write("b", "5.6.7.8 :127.0.0.9:B\n", kMtime + 5);
    CheckResult back;
    const Lines log = run(*set, &back);
    REQUIRE(log.size() == 1);
    CHECK(log[0].rfind("I: ip4set:a,b: ", 0) == 0);
    REQUIRE(back.snapshot);
    CHECK(a_of(*back.snapshot, "8.7.6.5.y") == Rrs{"A 127.0.0.9 2100"});
  }
}

TEST_CASE("reload: bad data keeps the last good data and says where", "[reload]") {
  TempDir dir;
  dir.write("a", "1.2.3.4 :127.0.0.2:A\n", kMtime);
  ScopedChdir cd(dir.path());
  auto set = make_set({"x:ip4set:a"});
  CheckResult first;
  run(*set, &first);
  REQUIRE(first.snapshot);

  SECTION("a $TIMESTAMP in the future") {
    dir.write("a", "1.2.3.4 :127.0.0.5:A\n$TIMESTAMP 2027-01-15-08:01\n", kMtime + 10);
    CheckResult r;
    CHECK(run(*set, &r) == Lines{"E: file a(2): data timestamp is 60 sec in the future, aborting loading",
                                 "W: ip4set:a: load failed, still serving the data loaded before"});
    CHECK(r.snapshot == nullptr);
    // Once the clock has passed the stamp, the same file loads at the next check.
    set->set_now(kNow + 120);
    CheckResult later;
    run(*set, &later);
    CHECK(later.loaded == 1);
    REQUIRE(later.snapshot);
    CHECK(a_of(*later.snapshot, "4.3.2.1.x") == Rrs{"A 127.0.0.5 2100"});
  }
  SECTION("a corrupt gzip file") {
    dir.write_gz("a", std::string(4000, 'x') + "\n", kMtime + 10);
    {  // cut the compressed stream short
      std::FILE* f = std::fopen("a", "r+");
      REQUIRE(f != nullptr);
      REQUIRE(::ftruncate(::fileno(f), 30) == 0);
      std::fclose(f);
    }
    CheckResult r;
    const Lines log = run(*set, &r);
    REQUIRE(log.size() == 2);
    CHECK(log[0].rfind("E: file a: ", 0) == 0);
    CHECK(log[1] == "W: ip4set:a: load failed, still serving the data loaded before");
    CHECK(r.failed == 1);
    CHECK(r.snapshot == nullptr);
  }
}

TEST_CASE("reload: a dataset that never loaded leaves its zone unserviced", "[reload]") {
  TempDir dir;
  dir.write("a", "1.2.3.4 :127.0.0.2:A\n", kMtime);
  ScopedChdir cd(dir.path());
  auto set = make_set({"x:ip4set:a", "m:ip4set:missing"});

  const auto before = set->unloaded_snapshot();
  REQUIRE(before->zones().size() == 2);
  for (const zones::Zone& z : before->zones()) CHECK_FALSE(z.serviced);

  CheckResult r;
  CHECK(run(*set, &r) == Lines{"I: ip4set:a: 20231114 221320: e32/24/16/8=1/0/0/0",
                               "E: file missing: unable to open file: No such file or directory",
                               "W: zone m: not all datasets are loaded, zone will not be serviced"});
  CHECK(r.loaded == 1);
  CHECK(r.failed == 1);
  REQUIRE(r.snapshot);  // the first check always builds one
  CHECK(zone(*r.snapshot, "x")->serviced);
  CHECK_FALSE(zone(*r.snapshot, "m")->serviced);
  CHECK(set->unloaded_count() == 1);

  CheckResult still;
  CHECK(run(*set, &still) == Lines{"E: file missing: unable to open file: No such file or directory"});
  CHECK(still.snapshot == nullptr);

  dir.write("missing", "5.6.7.8\n", kMtime);
  CheckResult loaded;
  run(*set, &loaded);
  REQUIRE(loaded.snapshot);
  CHECK(zone(*loaded.snapshot, "m")->serviced);
  CHECK(a_of(*loaded.snapshot, "8.7.6.5.m") == Rrs{"A 127.0.0.2 2100"});
  CHECK(zone(*loaded.snapshot, "x")->datasets[0] == zone(*r.snapshot, "x")->datasets[0]);
}

TEST_CASE("reload: expiry is checked at every check", "[reload]") {
  TempDir dir;
  dir.write("a", "$TIMESTAMP 2020-01-01 2027-01-15-09:00\n1.2.3.4\n", kMtime);
  ScopedChdir cd(dir.path());
  auto set = make_set({"x:ip4set:a"});
  CheckResult first;
  run(*set, &first);
  REQUIRE(first.snapshot);
  CHECK(zone(*first.snapshot, "x")->serviced);

  set->set_now(kNow + 1800);  // before the expiry: nothing to do
  CheckResult r;
  CHECK(run(*set, &r).empty());
  CHECK(r.snapshot == nullptr);

  set->set_now(kNow + 3600);  // 09:00: expired, with nothing reloaded
  CHECK(run(*set, &r) == Lines{"W: zone x: zone data expired, zone will not be serviced"});
  CHECK_FALSE(r.attempted());
  REQUIRE(r.snapshot);
  CHECK_FALSE(zone(*r.snapshot, "x")->serviced);
  CHECK(zone(*r.snapshot, "x")->datasets[0] == zone(*first.snapshot, "x")->datasets[0]);

  CheckResult after;
  CHECK(run(*set, &after).empty());  // said once
  CHECK(after.snapshot == nullptr);
}

TEST_CASE("reload: a file that changed while read fails with rbldnsd's two lines", "[reload]") {
  TempDir dir;
  dir.write("a", "1.2.3.4\n5.6.7.8\n", kMtime);
  ScopedChdir cd(dir.path());
  auto opened = DataFile::open("a", false);
  REQUIRE(opened.is_ok());
  DataFile& f = *opened.value();
  LoadDiagnostics diag("ip4set", "a");
  std::string_view line;
  core::Status error;
  while (f.next(&line, diag, &error) == DataFile::Read::kLine) {
  }
  dir.write("a", "1.2.3.4\n5.6.7.8\n9.9.9.9\n", kMtime);  // written in place meanwhile
  const core::Status s = f.finish();
  REQUIRE_FALSE(s.is_ok());
  LogCapture log;
  log_load_error(s);
  CHECK(log.messages() ==
        Lines{"E: file a: file changed while we where reading it, data load aborted",
              "E: file a: do not write data files directly, use temp file and rename(2) instead"});
}

TEST_CASE("reload: the zones reloaded line", "[reload]") {
  CheckResult r;
  r.elapsed_seconds = 1.234;
  r.user_seconds = 0.5;
  LogCapture log;
  log_zones_reloaded(r);
  const Lines m = log.messages();
  REQUIRE(m.size() == 1);
  CHECK(m[0].rfind("I: zones reloaded, time 1.23e/0.50u sec, mem arena=", 0) == 0);
  CHECK(m[0].find(" free=") != std::string::npos);
  CHECK(m[0].find(" mmap=") != std::string::npos);
  CHECK(m[0].substr(m[0].size() - 3) == " Kb");
}

}  // namespace
}  // namespace fastrbl::loader
