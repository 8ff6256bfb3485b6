#include "dnsd/store_reload.h"

#include "core/log.h"
#include "loader/store_load.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

extern char** environ;

namespace fastrbl::dnsd {
namespace {

double thread_user_seconds() {
  rusage ru{};
  if (::getrusage(RUSAGE_THREAD, &ru) != 0) return 0;
  return static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) / 1e6;
}

bool executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

// Splits what a pipe delivered into lines; a partial last line stays in `buf`.
void take_lines(std::string* buf, std::vector<std::string>* lines, bool eof) {
  std::size_t start = 0;
  for (std::size_t nl; (nl = buf->find('\n', start)) != std::string::npos; start = nl + 1)
    lines->push_back(buf->substr(start, nl - start));
  buf->erase(0, start);
  if (eof && !buf->empty()) {
    lines->push_back(*buf);
    buf->clear();
  }
}

void close_fd(int* fd) noexcept {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

}  // namespace

StoreReload::StoreReload(std::shared_ptr<zones::Store> store, std::string db, std::vector<std::string> specs,
                         const loader::LoadOptions& options, std::uint64_t serving,
                         const zones::Snapshot& first, std::string ctl)
    : store_(std::move(store)),
      db_(std::move(db)),
      specs_(std::move(specs)),
      options_(options),
      serving_(serving),
      ctl_(std::move(ctl)) {
  auto cur = store_->current();
  if (cur.is_ok() && cur.value() && cur.value()->generation == serving_) serving_record_ = cur.value();
  note_expiry(first);
}

std::time_t StoreReload::now() const { return options_.now != 0 ? options_.now : std::time(nullptr); }

void StoreReload::note_expiry(const zones::Snapshot& served) {
  const std::time_t t = now();
  next_expiry_ = 0;
  for (const zones::Zone& z : served.zones())
    for (const auto& d : z.datasets) {
      const std::time_t e = d != nullptr ? d->meta().expires : 0;
      if (e > t && (next_expiry_ == 0 || e < next_expiry_)) next_expiry_ = e;
    }
}

std::string StoreReload::find_fastrblctl() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (const std::filesystem::path& p :
       {self.parent_path() / "fastrblctl",
        (self.parent_path() / ".." / "bin" / "fastrblctl").lexically_normal()}) {
    if (executable(p.string())) return p.string();
  }
  return {};
}

std::vector<std::string> StoreReload::compile_command() const {
  std::vector<std::string> argv = {ctl_.empty() ? std::string("fastrblctl") : ctl_,
                                   "compile",
                                   "--db",
                                   db_,
                                   "-t",
                                   std::to_string(options_.default_ttl) + ":" +
                                       std::to_string(options_.min_ttl) + ":" +
                                       std::to_string(options_.max_ttl)};
  if (options_.accept_host_bits) argv.emplace_back("-e");
  if (options_.no_gzip) argv.emplace_back("-C");
  argv.emplace_back("--");
  for (const std::string& s : specs_) argv.push_back(s);
  return argv;
}

StoreReload::Compiled StoreReload::run_compile() const {
  Compiled c;
  if (ctl_.empty()) {
    c.why = "no fastrblctl found next to the fastrbld executable (or in ../bin from it)";
    return c;
  }
  const std::vector<std::string> args = compile_command();
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    c.why = std::string("pipe: ") + std::strerror(errno);
    for (int* fd : {&out[0], &out[1], &err[0], &err[1]}) close_fd(fd);
    return c;
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&fa);
  ::posix_spawnattr_init(&attr);
  ::posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
  // Nothing else reaches the compiler: serving sockets, LMDB files, libuv's descriptors.
  ::posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setsigdefault(&attr, &all);  // SIGPIPE is ignored here
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&fa);
  ::posix_spawnattr_destroy(&attr);
  close_fd(&out[1]);
  close_fd(&err[1]);
  if (rc != 0) {
    c.why = "unable to run " + args[0] + ": " + std::strerror(rc);
    close_fd(&out[0]);
    close_fd(&err[0]);
    return c;
  }

  std::string obuf, ebuf;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* bufs[2] = {&obuf, &ebuf};
  std::vector<std::string>* lines[2] = {&c.out, &c.err};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char chunk[4096];
      const ssize_t n = ::read(fds[i].fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        take_lines(bufs[i], lines[i], true);
        ::close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative descriptors
        continue;
      }
      bufs[i]->append(chunk, static_cast<std::size_t>(n));
      take_lines(bufs[i], lines[i], false);
    }
  }
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd >= 0) ::close(fds[i].fd);
    take_lines(bufs[i], lines[i], true);
  }

  int status = 0;
  rusage ru{};
  pid_t w;
  do {
    w = ::wait4(pid, &status, 0, &ru);
  } while (w < 0 && errno == EINTR);
  if (w < 0) {
    c.why = std::string("waiting for the compile: ") + std::strerror(errno);
    return c;
  }
  c.user_seconds = static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) / 1e6;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    c.ok = true;
  } else if (WIFEXITED(status)) {
    c.why = "exit status " + std::to_string(WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    c.why = std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
            ::strsignal(WTERMSIG(status)) + ")";
  } else {
    c.why = "ended with status " + std::to_string(status);
  }
  return c;
}

loader::CheckResult StoreReload::check() {
  loader::CheckResult r;
  const auto start = std::chrono::steady_clock::now();
  const double user_start = thread_user_seconds();
  double child_user = 0;
  auto finish = [&]() -> loader::CheckResult {
    r.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.user_seconds = thread_user_seconds() - user_start + child_user;
    return std::move(r);
  };

  auto cur = store_->current();
  if (!cur.is_ok()) {
    FASTRBL_LOG_ERROR("LMDB store %s: %s; still serving generation %llu", db_.c_str(),
                      std::string(cur.status().message()).c_str(), static_cast<unsigned long long>(serving_));
    r.failed = 1;
    return finish();
  }
  const zones::GenerationRecord* current = cur.value() ? &*cur.value() : nullptr;
  auto stale = loader::stale_datasets(current, specs_, options_);
  if (!stale.is_ok()) {  // the specs were accepted at start: not expected
    FASTRBL_LOG_ERROR("%s", std::string(stale.status().message()).c_str());
    r.failed = 1;
    return finish();
  }
  const bool newer = current != nullptr && current->generation != serving_;
  const bool expiry_due = next_expiry_ != 0 && now() >= next_expiry_;
  if (stale.value().empty() && !newer && !expiry_due) return finish();  // nothing changed: no line

  if (!stale.value().empty()) {
    std::string names;
    for (const std::string& n : stale.value()) names += (names.empty() ? "" : ", ") + n;
    FASTRBL_LOG_INFO("LMDB store %s: compiling changed dataset(s) out of process: %s", db_.c_str(),
                     names.c_str());
    Compiled c = run_compile();
    child_user = c.user_seconds;
    if (!c.ok) {
      FASTRBL_LOG_ERROR("LMDB store %s: the compile failed (%s); still serving generation %llu", db_.c_str(),
                        c.why.c_str(), static_cast<unsigned long long>(serving_));
      for (const std::string& line : c.err) FASTRBL_LOG_ERROR("compile: %s", line.c_str());
      r.failed = stale.value().size();
      return finish();
    }
    // Its stderr carries the loader's lines (per-dataset stats, data warnings).
    for (const std::string& line : c.err) FASTRBL_LOG_INFO("compile: %s", line.c_str());
    for (const std::string& line : c.out) FASTRBL_LOG_INFO("compile: %s", line.c_str());
  }

  auto opened = loader::snapshot_from_store(*store_, specs_, options_, false, true);
  if (!opened.is_ok()) {
    FASTRBL_LOG_ERROR("LMDB store %s: %s; still serving generation %llu", db_.c_str(),
                      std::string(opened.status().message()).c_str(),
                      static_cast<unsigned long long>(serving_));
    r.failed = stale.value().empty() ? 1 : stale.value().size();
    return finish();
  }
  if (opened.value().generation == serving_) {  // a compile found nothing to commit
    if (expiry_due) {  // the same data, rebuilt: zones whose data expired are not serviced
      note_expiry(*opened.value().snapshot);
      r.snapshot = std::move(opened.value().snapshot);
    }
    return finish();
  }
  // Datasets whose image differs from the one served so far.
  auto rec = store_->current();
  std::optional<zones::GenerationRecord> now;
  if (rec.is_ok() && rec.value() && rec.value()->generation == opened.value().generation) now = rec.value();
  std::size_t changed = 0;
  const std::string opts = loader::store_options(options_);
  for (const loader::DatasetOrigin& d : opened.value().datasets) {
    if (d.kind != loader::DatasetOrigin::kStored || !now || !serving_record_) {
      ++changed;
      continue;
    }
    const zones::StoredDataset* a = nullptr;
    const zones::StoredDataset* b = nullptr;
    for (const zones::StoredDataset& x : now->datasets)
      if (x.type == d.type && x.spec == d.spec && x.options == opts) a = &x;
    for (const zones::StoredDataset& x : serving_record_->datasets)
      if (x.type == d.type && x.spec == d.spec && x.options == opts) b = &x;
    if (a == nullptr || b == nullptr || a->image.generation != b->image.generation ||
        a->image.index != b->image.index)
      ++changed;
  }
  FASTRBL_LOG_INFO(
      "LMDB store %s: serving generation %llu (was %llu): %zu dataset(s) changed, %zu served from "
      "the map in place",
      db_.c_str(), static_cast<unsigned long long>(opened.value().generation),
      static_cast<unsigned long long>(serving_), changed, opened.value().in_place);
  serving_ = opened.value().generation;
  serving_record_ = std::move(now);
  r.loaded = changed == 0 ? 1 : changed;
  note_expiry(*opened.value().snapshot);
  r.snapshot = std::move(opened.value().snapshot);
  // The replaced images leave the page tables as the new snapshot is published, not when
  // the old one is retired: meanwhile the queries on the new one map its images.
  r.before_publish = [store = store_] { store->release_unnamed_pages(); };
  return finish();
}

}  // namespace fastrbl::dnsd
