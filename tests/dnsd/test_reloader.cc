// Reloader (dnsd/reloader.h): checks run off the loop thread, one at a time; requests made
// while one runs are coalesced into one more; the snapshot is published on the loop
// thread; a closed Reloader publishes nothing.

#include "core/log.h"
#include "dnsd/reloader.h"
#include "support/temp_dir.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using fastrbl::dnsd::Reloader;
using fastrbl::loader::LoadOptions;
using fastrbl::loader::ZoneSet;
using fastrbl::testing::TempDir;
using fastrbl::zones::Snapshot;

void quiet(fastrbl::core::LogLevel /*level*/, const char* /*msg*/) {}

struct Fixture {
  TempDir dir;
  uv_loop_t loop{};
  std::vector<std::shared_ptr<const Snapshot>> published;
  std::thread::id loop_thread = std::this_thread::get_id();
  bool published_elsewhere = false;

  Fixture() {
    fastrbl::core::set_log_sink(&quiet);
    REQUIRE(uv_loop_init(&loop) == 0);
    dir.write("a", "1.2.3.4\n", 1700000000);
  }
  ~Fixture() {
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    fastrbl::core::set_log_sink(nullptr);
  }
  std::unique_ptr<Reloader> make() {
    auto set = ZoneSet::create({"x:ip4set:" + dir.file("a")}, LoadOptions{});
    REQUIRE(set.is_ok());
    std::shared_ptr<ZoneSet> zones = std::move(set).value();
    return std::make_unique<Reloader>(
        &loop, [zones] { return zones->check(); },
        [this](std::shared_ptr<const Snapshot> s) {
          if (std::this_thread::get_id() != loop_thread) published_elsewhere = true;
          published.push_back(std::move(s));
        });
  }
};

TEST_CASE("reloader: requests during a check are coalesced into one more check", "[reloader]") {
  Fixture f;
  auto r = f.make();
  r->request();  // the first load
  CHECK(r->running());
  r->request();
  r->request();
  r->request();
  uv_run(&f.loop, UV_RUN_DEFAULT);  // until no check is running or pending
  CHECK_FALSE(r->running());
  CHECK(r->completed() == 2);        // the first load, then one coalesced check
  REQUIRE(f.published.size() == 1);  // the second check found nothing changed
  CHECK_FALSE(f.published_elsewhere);
  CHECK(f.published[0]->zones().size() == 1);

  f.dir.write("a", "1.2.3.4\n5.6.7.8\n", 1700000001);
  r->request();
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(r->completed() == 3);
  CHECK(f.published.size() == 2);
}

TEST_CASE("reloader: after close() a running check publishes nothing", "[reloader]") {
  Fixture f;
  auto r = f.make();
  r->request();
  r->request();
  r->close();
  r->request();  // ignored
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(r->completed() == 1);  // the pending one is dropped too
  CHECK(f.published.empty());
}

}  // namespace
