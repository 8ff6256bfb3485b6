#pragma once
// Logging for start-up, reload and control paths (never the query path, STYLE.md 8).
//
// Messages look like rbldnsd's: "<program>: <text>", informational ones on stdout and
// warnings/errors on stderr. A sink can be installed (syslog in daemon mode); the default
// writes to the standard streams. Thread safety: log calls may come from any thread;
// each message is written with a single write(2). set_log_* must be called before threads
// start.

#include <cstdarg>

namespace fastrbl::core {

enum class LogLevel { kError = 3, kWarning = 4, kInfo = 6 };

using LogSink = void (*)(LogLevel level, const char* message);

void set_log_program(const char* name);  // default "fastrbld"
const char* log_program();
/// Replaces the default stdout/stderr sink; nullptr restores it.
void set_log_sink(LogSink sink);
/// When false, informational messages are not written (errors and warnings still are).
void set_log_info(bool enabled);

void log_message(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmessage(LogLevel level, const char* fmt, va_list ap);

#define FASTRBL_LOG_INFO(...) ::fastrbl::core::log_message(::fastrbl::core::LogLevel::kInfo, __VA_ARGS__)
#define FASTRBL_LOG_WARN(...) ::fastrbl::core::log_message(::fastrbl::core::LogLevel::kWarning, __VA_ARGS__)
#define FASTRBL_LOG_ERROR(...) ::fastrbl::core::log_message(::fastrbl::core::LogLevel::kError, __VA_ARGS__)

}  // namespace fastrbl::core
