// Tests of rbldnsd's statistics output (dnsd/stats_report.h, compat §2.4-2.5): the stats
// file line and the counter log lines (the expected texts are the ones Debian's rbldnsd
// wrote for the same counters), absolute and `+` delta lines, resets (SIGUSR2), and the
// file being opened and closed for every write.

#include "dnsd/stats_report.h"
#include "support/temp_dir.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using fastrbl::dnsd::format_counter_log;
using fastrbl::dnsd::format_stats_line;
using fastrbl::dnsd::QueryTotals;
using fastrbl::dnsd::StatsReporter;
using fastrbl::dnsd::TrafficTotals;
using fastrbl::testing::TempDir;

namespace {

const std::vector<std::string> kNames = {"sub.bl.example", "bl.example", "gen.t", "acl.t", "ref.t", "gen2.t"};

// The counters of the rbldnsd run in dnsd/README.md's example (24 queries).
QueryTotals sample() {
  QueryTotals t;
  t.zones = {TrafficTotals{0, 1, 0, 34, 84},  TrafficTotals{5, 2, 0, 252, 580},
             TrafficTotals{1, 1, 0, 70, 144}, TrafficTotals{0, 0, 0, 27, 0},
             TrafficTotals{0, 0, 1, 27, 27},  TrafficTotals{0, 0, 1, 24, 24}};
  t.global = TrafficTotals{1, 0, 11, 301, 307};
  return t;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

}  // namespace

TEST_CASE("stats file line: rbldnsd's format", "[stats]") {
  CHECK(format_stats_line(1795349560, kNames, sample()) ==
        "1795349560 sub.bl.example:1:0:1:34:84 bl.example:7:5:2:252:580 gen.t:2:1:1:70:144 acl.t:0:0:0:27:0 "
        "ref.t:1:0:0:27:27 gen2.t:1:0:0:24:24 *:24:7:4:735:1166\n");
  QueryTotals empty;
  empty.zones.resize(1);
  CHECK(format_stats_line(5, {"bl.example"}, empty) == "5 bl.example:0:0:0:0:0 *:0:0:0:0:0\n");
  // 64-bit counters in decimal.
  QueryTotals big;
  big.zones = {TrafficTotals{1ULL << 40, 0, 0, 0, 0}};
  CHECK(format_stats_line(5, {"z"}, big) ==
        "5 z:1099511627776:1099511627776:0:0:0 *:1099511627776:1099511627776:0:0:0\n");
}

TEST_CASE("counter log: rbldnsd's lines", "[stats]") {
  const std::vector<std::string> want = {
      "stats for 4secs zone sub.bl.example: tot=1 ok=0 nxd=1 err=0 in=34 out=84",
      "stats for 4secs zone bl.example: tot=7 ok=5 nxd=2 err=0 in=252 out=580",
      "stats for 4secs zone gen.t: tot=2 ok=1 nxd=1 err=0 in=70 out=144",
      "stats for 4secs zone acl.t: tot=0 ok=0 nxd=0 err=0 in=27 out=0",
      "stats for 4secs zone ref.t: tot=1 ok=0 nxd=0 err=1 in=27 out=27",
      "stats for 4secs zone gen2.t: tot=1 ok=0 nxd=0 err=1 in=24 out=24",
      "stats for 4sec: tot=24 ok=7 nxd=4 err=13 in=735 out=1166",
  };
  CHECK(format_counter_log(4, kNames, sample()) == want);
}

TEST_CASE("stats file: start, lines, reset, absolute and delta", "[stats]") {
  TempDir dir;
  const std::string path = dir.file("stats");
  QueryTotals t1;
  t1.zones = {TrafficTotals{2, 1, 0, 90, 200}};
  t1.global = TrafficTotals{0, 0, 1, 10, 0};
  QueryTotals t2 = t1;
  t2.zones[0].ok += 3;
  t2.zones[0].bytes_in += 120;
  QueryTotals t3 = t2;
  t3.global.err += 2;

  SECTION("absolute") {
    StatsReporter r(path, false, {"bl.t"});
    r.start(100);
    r.write_line(t1, 160);
    r.write_line(t2, 220);
    // SIGUSR2: line, reset, bare timestamp; then counting starts from t2.
    r.reset(t2, 220);
    r.write_timestamp(220);
    r.write_line(t3, 280);
    r.write_timestamp(290);
    CHECK(lines_of(read_file(path)) == std::vector<std::string>{
                                           "100",
                                           "160 bl.t:3:2:1:90:200 *:4:2:1:100:200",
                                           "220 bl.t:6:5:1:210:200 *:7:5:1:220:200",
                                           "220",
                                           "280 bl.t:0:0:0:0:0 *:2:0:0:0:0",
                                           "290",
                                       });
    CHECK(r.since_reset(t3).global.err == 2);
  }
  SECTION("delta (+)") {
    StatsReporter r(path, true, {"bl.t"});
    r.start(100);
    r.write_line(t1, 160);
    r.write_line(t2, 220);
    r.write_line(t2, 280);
    r.reset(t2, 280);
    r.write_line(t3, 340);
    CHECK(lines_of(read_file(path)) == std::vector<std::string>{
                                           "100",
                                           "160 bl.t:3:2:1:90:200 *:4:2:1:100:200",
                                           "220 bl.t:3:3:0:120:0 *:3:3:0:120:0",
                                           "280 bl.t:0:0:0:0:0 *:0:0:0:0:0",
                                           "340 bl.t:0:0:0:0:0 *:2:0:0:0:0",
                                       });
  }
  SECTION("the file is reopened for every write (rotation)") {
    StatsReporter r(path, false, {"bl.t"});
    r.start(100);
    REQUIRE(std::rename(path.c_str(), (path + ".1").c_str()) == 0);
    r.write_line(t1, 160);
    CHECK(read_file(path + ".1") == "100\n");
    CHECK(read_file(path) == "160 bl.t:3:2:1:90:200 *:4:2:1:100:200\n");
  }
  SECTION("no file, or one that cannot be opened: nothing, no error") {
    StatsReporter none("", false, {"bl.t"});
    none.start(100);
    none.write_line(t1, 160);
    StatsReporter bad(dir.file("missing/stats"), false, {"bl.t"});
    bad.start(100);
    bad.write_line(t1, 160);
    CHECK(read_file(dir.file("missing/stats")).empty());
  }
}
