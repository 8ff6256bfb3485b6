#include "dnsd/tcp.h"

#include "dnsd/listen.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <unistd.h>

namespace fastrbl::dnsd {

struct TcpIo::Conn {
  uv_tcp_t handle;
  uv_write_t write_req;
  TcpIo* io = nullptr;
  Conn* prev = nullptr;  // LRU neighbours while open; `next` links the free list
  Conn* next = nullptr;
  std::uint64_t last_active = 0;  // uv_now() of the accept or the last complete query
  sockaddr_storage peer{};
  std::size_t in_len = 0;
  std::size_t out_len = 0;  // bytes in `out`, the first `inflight` of them being written
  std::size_t inflight = 0;
  bool reading = false;
  bool blocked = false;    // reading paused: no room for another largest response
  bool finishing = false;  // EOF, a bad frame or a dropped query: close once the output is sent
  bool closing = false;
  bool open = false;  // accepted and in the LRU list
  std::array<std::uint8_t, kInSize> in;
  std::array<std::uint8_t, kOutSize> out;

  uv_stream_t* stream() noexcept { return reinterpret_cast<uv_stream_t*>(&handle); }  // libuv "base class"
  uv_handle_t* as_handle() noexcept { return reinterpret_cast<uv_handle_t*>(&handle); }
  const sockaddr* peer_addr() const noexcept { return reinterpret_cast<const sockaddr*>(&peer); }
  void reset() noexcept {
    prev = next = nullptr;
    in_len = out_len = inflight = 0;
    reading = blocked = finishing = closing = open = false;
    peer = sockaddr_storage{};
  }
};

TcpIo::TcpIo(WorkerContext& ctx, unsigned max_conns, unsigned idle_timeout_s)
    : ctx_(ctx),
      max_conns_(max_conns),
      max_slots_(2 * static_cast<std::size_t>(max_conns)),
      idle_timeout_ms_(std::uint64_t{idle_timeout_s} * 1000),
      tick_ms_(std::clamp<std::uint64_t>(std::uint64_t{idle_timeout_s} * 1000 / 4, 100, 1000)) {}

TcpIo::~TcpIo() = default;

core::Status TcpIo::start(const std::vector<int>& fds) {
  int err = uv_timer_init(ctx_.loop, &idle_timer_);
  if (err != 0) {
    for (int fd : fds) ::close(fd);
    return core::Status::error(std::string("uv_timer_init: ") + uv_strerror(err));
  }
  idle_timer_.data = this;
  slots_.reserve(max_slots_);
  for (std::size_t i = 0; i < fds.size(); ++i) {
    auto l = std::make_unique<Listener>();
    l->io = this;
    err = uv_tcp_init(ctx_.loop, &l->handle);
    if (err != 0) {
      for (std::size_t j = i; j < fds.size(); ++j) ::close(fds[j]);
      return core::Status::error(std::string("uv_tcp_init: ") + uv_strerror(err));
    }
    l->handle.data = l.get();
    Listener* raw = l.get();
    listeners_.push_back(std::move(l));
    err = uv_tcp_open(&raw->handle, fds[i]);
    if (err != 0) {
      for (std::size_t j = i; j < fds.size(); ++j) ::close(fds[j]);
      return core::Status::error(std::string("uv_tcp_open: ") + uv_strerror(err));
    }
    err = uv_listen(reinterpret_cast<uv_stream_t*>(&raw->handle), kTcpBacklog, on_connection);
    if (err != 0) {
      for (std::size_t j = i + 1; j < fds.size(); ++j) ::close(fds[j]);
      return core::Status::error(std::string("uv_listen: ") + uv_strerror(err));
    }
  }
  return core::Status::ok();
}

void TcpIo::close() noexcept {
  shutting_down_ = true;
  uv_handle_t* t = reinterpret_cast<uv_handle_t*>(&idle_timer_);
  if (t->loop != nullptr && !uv_is_closing(t)) uv_close(t, nullptr);
  for (auto& l : listeners_) {
    uv_handle_t* h = reinterpret_cast<uv_handle_t*>(&l->handle);
    if (!uv_is_closing(h)) uv_close(h, nullptr);
  }
  while (lru_head_ != nullptr) close_conn(lru_head_);
}

void TcpIo::on_connection(uv_stream_t* server, int status) noexcept {
  auto* l = static_cast<Listener*>(server->data);
  if (status < 0) {
    l->io->ctx_.stats.tcp_accept_errors.add();
    return;
  }
  l->io->accept_from(l);
}

TcpIo::Conn* TcpIo::take_slot() noexcept {
  if (free_ != nullptr) {
    Conn* c = free_;
    free_ = c->next;
    c->reset();
    return c;
  }
  if (slots_.size() >= max_slots_) return nullptr;
  Conn* c = new (std::nothrow) Conn;
  if (c == nullptr) return nullptr;
  slots_.emplace_back(c);  // capacity reserved in start(): no reallocation here
  c->io = this;
  return c;
}

void TcpIo::accept_from(Listener* l) noexcept {
  if (shutting_down_) return;
  // Full: the least recently active connection makes room for the new client.
  if (open_ >= max_conns_ && lru_tail_ != nullptr) {
    ctx_.stats.tcp_evicted.add();
    close_conn(lru_tail_);
  }
  Conn* c = take_slot();
  if (c == nullptr) {  // every slot is still closing: leave the client in the backlog
    l->pending_accept = true;
    ctx_.stats.tcp_deferred.add();
    return;
  }
  uv_tcp_init(ctx_.loop, &c->handle);  // cannot fail without a socket to create
  c->handle.data = c;
  c->write_req.data = c;
  if (uv_accept(reinterpret_cast<uv_stream_t*>(&l->handle), c->stream()) != 0) {
    ctx_.stats.tcp_accept_errors.add();
    c->closing = true;
    uv_close(c->as_handle(), on_closed);
    return;
  }
  uv_tcp_nodelay(&c->handle, 1);
  int len = sizeof c->peer;
  if (uv_tcp_getpeername(&c->handle, reinterpret_cast<sockaddr*>(&c->peer), &len) != 0)
    c->peer = sockaddr_storage{};
  c->open = true;
  c->last_active = uv_now(ctx_.loop);
  lru_push_front(c);
  ++open_;
  ctx_.stats.tcp_accepted.add();
  if (!timer_running_) {
    uv_timer_start(&idle_timer_, on_idle_timer, tick_ms_, tick_ms_);
    timer_running_ = true;
  }
  start_reading(c);
}

void TcpIo::start_reading(Conn* c) noexcept {
  if (c->reading || c->closing) return;
  if (uv_read_start(c->stream(), on_alloc, on_read) != 0) {
    close_conn(c);
    return;
  }
  c->reading = true;
}

void TcpIo::stop_reading(Conn* c) noexcept {
  if (!c->reading) return;
  uv_read_stop(c->stream());
  c->reading = false;
}

void TcpIo::on_alloc(uv_handle_t* handle, std::size_t /*suggested*/, uv_buf_t* buf) noexcept {
  Conn* c = static_cast<Conn*>(handle->data);
  // Never full while reading: process() leaves less than one frame (< kInSize) behind.
  buf->base = reinterpret_cast<char*>(c->in.data() + c->in_len);
  buf->len = kInSize - c->in_len;
}

void TcpIo::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* /*buf*/) noexcept {
  Conn* c = static_cast<Conn*>(stream->data);
  TcpIo* io = c->io;
  if (nread > 0) {
    c->in_len += static_cast<std::size_t>(nread);
    io->process(c);
    return;
  }
  if (nread == 0) return;  // EAGAIN
  if (nread == UV_EOF) {   // the client has sent everything: answer it, then close
    io->stop_reading(c);
    c->finishing = true;
    io->finish_if_done(c);
    return;
  }
  io->close_conn(c);  // reset, ENOBUFS, ...
}

void TcpIo::process(Conn* c) noexcept {
  if (c->closing) return;
  ctx_.adopt();
  std::size_t pos = 0;
  for (;;) {
    const std::size_t avail = c->in_len - pos;
    if (avail < 2) break;
    const std::size_t len = core::load_u16(c->in.data() + pos);
    if (len == 0 || len > kMaxFrame) {  // not DNS: answer what came before, then close
      ctx_.stats.tcp_bad_frames.add();
      c->finishing = true;
      stop_reading(c);
      pos = c->in_len;
      break;
    }
    if (avail - 2 < len) break;
    if (kOutSize - c->out_len < kMaxResponse) {  // the client is not reading fast enough
      if (!c->blocked) ctx_.stats.tcp_blocked.add();
      c->blocked = true;
      stop_reading(c);
      break;
    }
    ctx_.stats.tcp_queries.add();
    const std::span<const std::uint8_t> query(c->in.data() + pos + 2, len);
    AnswerInfo info;
    const std::size_t n = answer(*ctx_.snapshot, *ctx_.answer_config, query,
                                 std::span(c->out.data() + c->out_len + 2, kTcpOutSize), Transport::kTcp,
                                 c->peer_addr(), ctx_.state, &info);
    ctx_.account(query, info, n, c->peer_addr());
    pos += 2 + len;
    c->last_active = uv_now(ctx_.loop);
    if (c != lru_head_) {
      lru_unlink(c);
      lru_push_front(c);
    }
    if (n == 0) {  // dropped: send what was answered before it, then close
      c->finishing = true;
      stop_reading(c);
      pos = c->in_len;
      break;
    }
    core::store_u16(c->out.data() + c->out_len, static_cast<std::uint16_t>(n));
    c->out_len += 2 + n;
    ctx_.stats.tcp_answers.add();
  }
  if (pos > 0) {
    std::memmove(c->in.data(), c->in.data() + pos, c->in_len - pos);
    c->in_len -= pos;
  }
  if (ctx_.query_log) ctx_.query_log->end_batch();
  send(c);
  finish_if_done(c);
}

void TcpIo::send(Conn* c) noexcept {
  if (c->closing || c->inflight != 0 || c->out_len == 0) return;
  c->inflight = c->out_len;
  const uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(c->out.data()), static_cast<unsigned>(c->inflight));
  if (uv_write(&c->write_req, c->stream(), &b, 1, on_write) != 0) {
    ctx_.stats.tcp_write_errors.add();
    close_conn(c);
  }
}

void TcpIo::on_write(uv_write_t* req, int status) noexcept {
  Conn* c = static_cast<Conn*>(req->data);
  TcpIo* io = c->io;
  if (c->closing) return;  // cancelled by the close
  if (status != 0) {
    io->ctx_.stats.tcp_write_errors.add();
    io->close_conn(c);
    return;
  }
  std::memmove(c->out.data(), c->out.data() + c->inflight, c->out_len - c->inflight);
  c->out_len -= c->inflight;
  c->inflight = 0;
  if (c->blocked && kOutSize - c->out_len >= kMaxResponse) {
    c->blocked = false;
    io->process(c);  // the queries that waited in the input buffer
    if (!c->blocked && !c->finishing) io->start_reading(c);
    return;
  }
  io->send(c);
  io->finish_if_done(c);
}

void TcpIo::finish_if_done(Conn* c) noexcept {
  if (c->finishing && !c->closing && !c->blocked && c->out_len == 0) close_conn(c);
}

void TcpIo::close_conn(Conn* c) noexcept {
  if (c->closing) return;
  c->closing = true;
  c->reading = false;
  if (c->open) {
    lru_unlink(c);
    --open_;
    c->open = false;
  }
  uv_close(c->as_handle(), on_closed);
  if (open_ == 0 && timer_running_) {
    uv_timer_stop(&idle_timer_);
    timer_running_ = false;
  }
}

void TcpIo::on_closed(uv_handle_t* handle) noexcept {
  Conn* c = static_cast<Conn*>(handle->data);
  TcpIo* io = c->io;
  c->next = io->free_;
  io->free_ = c;
  if (io->shutting_down_) return;
  for (auto& l : io->listeners_) {
    if (!l->pending_accept) continue;
    l->pending_accept = false;
    io->accept_from(l.get());
    if (io->free_ == nullptr) break;
  }
}

void TcpIo::on_idle_timer(uv_timer_t* timer) noexcept {
  auto* io = static_cast<TcpIo*>(timer->data);
  const std::uint64_t now = uv_now(io->ctx_.loop);
  while (io->lru_tail_ != nullptr && now - io->lru_tail_->last_active >= io->idle_timeout_ms_) {
    io->ctx_.stats.tcp_idle_closed.add();
    io->close_conn(io->lru_tail_);
  }
}

void TcpIo::lru_unlink(Conn* c) noexcept {
  if (c->prev != nullptr) {
    c->prev->next = c->next;
  } else {
    lru_head_ = c->next;
  }
  if (c->next != nullptr) {
    c->next->prev = c->prev;
  } else {
    lru_tail_ = c->prev;
  }
  c->prev = c->next = nullptr;
}

void TcpIo::lru_push_front(Conn* c) noexcept {
  c->prev = nullptr;
  c->next = lru_head_;
  if (lru_head_ != nullptr) lru_head_->prev = c;
  lru_head_ = c;
  if (lru_tail_ == nullptr) lru_tail_ = c;
}

}  // namespace fastrbl::dnsd
