#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace fastrbl::core {
namespace {
const char* g_program = "fastrbld";
LogSink g_sink = nullptr;
std::atomic<bool> g_info{true};
}  // namespace

void set_log_program(const char* name) { g_program = name; }
const char* log_program() { return g_program; }
void set_log_sink(LogSink sink) { g_sink = sink; }
void set_log_info(bool enabled) { g_info.store(enabled, std::memory_order_relaxed); }

void log_vmessage(LogLevel level, const char* fmt, va_list ap) {
  if (level == LogLevel::kInfo && !g_info.load(std::memory_order_relaxed)) return;
  char buf[2048];
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  if (n < 0) return;
  if (g_sink != nullptr) {
    g_sink(level, buf);
    return;
  }
  char line[2200];
  int m = std::snprintf(line, sizeof line, "%s: %s\n", g_program, buf);
  if (m < 0) return;
  std::size_t len = static_cast<std::size_t>(m) < sizeof line ? static_cast<std::size_t>(m) : sizeof line - 1;
  if (len > 0 && line[len - 1] != '\n') line[len - 1] = '\n';
  int fd = level == LogLevel::kInfo ? STDOUT_FILENO : STDERR_FILENO;
  ssize_t w = ::write(fd, line, len);
  (void)w;
}

void log_message(LogLevel level, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_vmessage(level, fmt, ap);
  va_end(ap);
}

}  // namespace fastrbl::core
