#pragma once
// recvmmsg, sendmmsg and epoll_wait without glibc's cancellation wrappers, for the UDP path.
//
// glibc makes these three calls thread-cancellation points: each one switches the thread
// to asynchronous cancellation and back around the system call (two atomic
// read-modify-write loops, about 90 user-space instructions in all, measured with
// callgrind; more than the rest of the wrapper). fastrbld never cancels a thread, so the
// query path makes the plain system calls through syscall(2), which has no such
// bookkeeping. Same arguments, results and errno as the libc functions.

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace fastrbl::dnsd::sys {

inline int recvmmsg(int fd, mmsghdr* msgs, unsigned n, int flags) noexcept {
  return static_cast<int>(::syscall(SYS_recvmmsg, fd, msgs, n, flags, nullptr));
}

inline int sendmmsg(int fd, mmsghdr* msgs, unsigned n, int flags) noexcept {
  return static_cast<int>(::syscall(SYS_sendmmsg, fd, msgs, n, flags));
}

inline int epoll_wait(int epfd, epoll_event* events, int max, int timeout_ms) noexcept {
  // epoll_pwait with no signal mask is epoll_wait (x86-64 has both; others only this).
  return static_cast<int>(::syscall(SYS_epoll_pwait, epfd, events, max, timeout_ms, nullptr, 0));
}

}  // namespace fastrbl::dnsd::sys
