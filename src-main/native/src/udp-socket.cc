// The engine's UDP socket (peers and the base share it) without node:dgram, whose per-datagram
// cost was a recvmsg, a JS callback, a Buffer and an rinfo object with an address string for
// every datagram received, and a send request object for every one sent.
//
// Receiving stays on the JS thread's own event loop: a libuv poll handle wakes us when the fd is
// readable, recvmmsg drains up to 64 datagrams per system call, and JS is called once per batch.
// A reader thread (as for TUN) would add a hand-over between threads to every batch and its
// latency to every round trip; here a lone ping costs one wake-up, as it did with dgram. The drain
// stops after a budget so that a flood cannot starve timers and the TUN reader; the poll is
// level-triggered, so whatever is left wakes us again on the next turn of the loop.
//
// Sending goes to sockaddrs the caller prepared once per destination, on the non-blocking fd: one
// sendto(), or one sendmmsg() for what the caller gathered during a turn of the loop. A full queue
// drops the datagram, as a NIC would; the caller counts it.
//
// With a data lane attached (useLane), each datagram is first offered to it: what it takes (an
// established direct session's DATA) is written to the TUN device from here, and JS is called
// only for the rest, not at all when the lane took the whole batch.
#include "udp-socket.h"

#include "data-lane.h"
#include "errors.h"

#if defined(_WIN32)

namespace hnet {

void InitUdpSocket(Napi::Env env, Napi::Object exports) {
  exports.Set("UdpSocket", Napi::Function::New(
                               env,
                               [](const Napi::CallbackInfo& info) -> Napi::Value {
                                 ThrowUnsupported(info.Env(), "UdpSocket");
                               },
                               "UdpSocket"));
}

}  // namespace hnet

#else

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "datagram-queue.h"
#include "lane-router.h"
#include "socket-address.h"
#include "udp-batch.h"

namespace hnet {

namespace {

constexpr unsigned kBatch = 64;
// Larger than anything hnet or a stock peer sends (MTU 1350 plus the security layer, < 2000).
constexpr size_t kSlotBytes = 2048;
// With UDP GRO a slot takes a run of datagrams the kernel joined: up to 64 KB.
constexpr size_t kJoinedSlotBytes = 65536;
// Per wake-up: enough to keep up with a gigabit, small enough to let other handles run between.
constexpr unsigned kDatagramsPerWake = 256;
// Big kernel buffers absorb bursts while the JS thread is busy with crypto.
constexpr int kKernelBufferBytes = 4 * 1024 * 1024;
// A datagram's kernel stamp older than this (or in the future) means the wall clock was stepped.
constexpr double kMaxArrivalAgeMs = 10'000;

// Codes as Node spells them (libuv's names; on Unix a libuv error is the negated errno).
Napi::Error SocketError(Napi::Env env, const char* operation, int err) {
  Napi::Error error = Napi::Error::New(env, std::string(operation) + " failed: " + std::strerror(err));
  error.Set("code", Napi::String::New(env, uv_err_name(-err)));
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, operation));
  return error;
}

int CreateSocket(int family) {
#if defined(SOCK_NONBLOCK)
  return socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
  int fd = socket(family, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  int flags = fcntl(fd, F_GETFL);
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
#endif
}

// The FORCE variants let root exceed net.core.{r,w}mem_max; everyone else gets what the limit allows.
void SetKernelBuffer(int fd, int force_option, int option) {
  int bytes = kKernelBufferBytes;
  if (force_option != 0 && setsockopt(fd, SOL_SOCKET, force_option, &bytes, sizeof bytes) == 0) return;
  setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof bytes);
}

// UDP GRO (Linux 5.0+): a run of equal-sized datagrams from one source, as a peer's UDP GSO sent
// them, arrives in one read. False where the kernel has none; datagrams then come one by one.
bool EnableJoinedReceive(int fd) {
#if defined(__linux__)
#if !defined(UDP_GRO)
#define UDP_GRO 104
#endif
  int on = 1;
  return setsockopt(fd, IPPROTO_UDP, UDP_GRO, &on, sizeof on) == 0;
#else
  (void)fd;
  return false;
#endif
}

#if defined(SO_RCVBUFFORCE)
constexpr int kReceiveBufferForce = SO_RCVBUFFORCE;
constexpr int kSendBufferForce = SO_SNDBUFFORCE;
#else
constexpr int kReceiveBufferForce = 0;
constexpr int kSendBufferForce = 0;
#endif

struct Bound {
  int fd = -1;
  int port = 0;
};

// `bind_address`: an IP literal of the socket's family to bind (the base server binds the addresses it
// announces), or empty for the wildcard.
Bound OpenBound(Napi::Env env, int port, bool dual_stack, const std::string& bind_address) {
  int family = dual_stack ? AF_INET6 : AF_INET;
  struct in6_addr v6 = in6addr_any;
  struct in_addr v4 {};
  v4.s_addr = htonl(INADDR_ANY);
  void* parsed = dual_stack ? static_cast<void*>(&v6) : static_cast<void*>(&v4);
  if (!bind_address.empty() && inet_pton(family, bind_address.c_str(), parsed) != 1) {
    throw Napi::TypeError::New(env, std::string("UdpSocket: address must be an ") + (dual_stack ? "IPv6" : "IPv4") +
                                        " literal, not " + bind_address);
  }
  int fd = CreateSocket(family);
  if (fd < 0) throw SocketError(env, "socket", errno);
  auto fail = [&](const char* operation) {
    int err = errno;
    close(fd);
    return SocketError(env, operation, err);
  };
  if (dual_stack) {
    int off = 0;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) != 0) throw fail("setsockopt(IPV6_V6ONLY)");
  }
  SetKernelBuffer(fd, kReceiveBufferForce, SO_RCVBUF);
  SetKernelBuffer(fd, kSendBufferForce, SO_SNDBUF);
#if defined(SO_TIMESTAMPNS)
  // The kernel stamps each datagram as it arrives: a round trip measured to that stamp is the
  // path's, not the time our event loop took to come round to the socket. Without it, the read's time.
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
#endif
  struct sockaddr_storage address {};
  socklen_t length;
  if (dual_stack) {
    auto* a = reinterpret_cast<struct sockaddr_in6*>(&address);
    a->sin6_family = AF_INET6;
    a->sin6_addr = v6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    length = sizeof(struct sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<struct sockaddr_in*>(&address);
    a->sin_family = AF_INET;
    a->sin_addr = v4;
    a->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof(struct sockaddr_in);
  }
#if defined(__APPLE__)
  address.ss_len = static_cast<uint8_t>(length);
#endif
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&address), length) != 0) throw fail("bind");
  length = sizeof address;
  if (getsockname(fd, reinterpret_cast<struct sockaddr*>(&address), &length) != 0) throw fail("getsockname");
  // Both families keep the port at the same offset.
  int bound = ntohs(reinterpret_cast<struct sockaddr_in*>(&address)->sin_port);
  return {fd, bound};
}

// Errors that mean the fd itself is unusable: polling it again would only repeat them.
bool IsLasting(int err) { return err == EBADF || err == ENOTSOCK || err == EINVAL; }

class UdpSocket : public Napi::ObjectWrap<UdpSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "UdpSocket",
                       {InstanceMethod("send", &UdpSocket::Send), InstanceMethod("sendMany", &UdpSocket::SendBatch),
                        InstanceMethod("sockaddr", &UdpSocket::Sockaddr),
                        InstanceMethod("interfaceName", &UdpSocket::InterfaceName),
                        InstanceMethod("useLane", &UdpSocket::UseLane),
                        InstanceMethod("offloads", &UdpSocket::Offloads),
                        InstanceMethod("disableOffloads", &UdpSocket::DisableOffloads),
                        InstanceMethod("close", &UdpSocket::Close)});
  }

  explicit UdpSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UdpSocket>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[0].IsNumber() || !info[1].IsBoolean() || !info[2].IsFunction() ||
        !info[3].IsFunction() || !(info[4].IsUndefined() || info[4].IsString())) {
      throw Napi::TypeError::New(env, "UdpSocket expects (port, dualStack, onBatch, onError, address?)");
    }
    int port = info[0].As<Napi::Number>().Int32Value();
    if (port < 0 || port > 65535) throw Napi::RangeError::New(env, "UdpSocket: port must be 0 to 65535");
    family_ = info[1].As<Napi::Boolean>().Value() ? AF_INET6 : AF_INET;
    std::string address = info[4].IsString() ? info[4].As<Napi::String>().Utf8Value() : std::string();
    Bound bound = OpenBound(env, port, family_ == AF_INET6, address);
    fd_ = bound.fd;

    // `ends`, `sources` and `arrivals` live in the JS heap, so JS reads them without a copy; the
    // references keep them alive whatever JS does to the properties.
    Napi::Uint32Array ends = Napi::Uint32Array::New(env, kBatch);
    Napi::Uint8Array sources = Napi::Uint8Array::New(env, kBatch * kSourceBytes);
    Napi::Float64Array arrivals = Napi::Float64Array::New(env, kBatch);
    ends_ = ends.Data();
    sources_ = sources.Data();
    arrivals_ = arrivals.Data();
    ends_ref_ = Napi::Persistent(ends);
    sources_ref_ = Napi::Persistent(sources);
    arrivals_ref_ = Napi::Persistent(arrivals);
    Napi::Object self = info.This().As<Napi::Object>();
    self.Set("port", Napi::Number::New(env, bound.port));
    self.Set("ends", ends);
    self.Set("sources", sources);
    self.Set("arrivals", arrivals);
    Napi::Int32Array send_errors = Napi::Int32Array::New(env, kBatch);
    send_errors_ = send_errors.Data();
    send_errors_ref_ = Napi::Persistent(send_errors);
    self.Set("sendErrors", send_errors);
    on_batch_ = Napi::Persistent(info[2].As<Napi::Function>());
    on_error_ = Napi::Persistent(info[3].As<Napi::Function>());

    joined_receive_ = EnableJoinedReceive(fd_);
    slot_bytes_ = joined_receive_ ? kJoinedSlotBytes : kSlotBytes;
    slots_.resize(kBatch * slot_bytes_);
    for (unsigned i = 0; i < kBatch; i++) {
      iovecs_[i] = {slots_.data() + i * slot_bytes_, slot_bytes_};
      struct msghdr& header = messages_[i].msg_hdr;
      header = {};
      header.msg_name = &names_[i];
      header.msg_iov = &iovecs_[i];
      header.msg_iovlen = 1;
    }

    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
      close(fd_);
      throw Napi::Error::New(env, "UdpSocket: no event loop");
    }
    poll_ = new uv_poll_t;
    int err = uv_poll_init_socket(loop, poll_, fd_);
    if (err != 0) {
      delete poll_;
      poll_ = nullptr;
      close(fd_);
      throw SocketError(env, "uv_poll_init", -err);
    }
    poll_->data = this;
    err = uv_poll_start(poll_, UV_READABLE, OnReadable);
    if (err != 0) {
      StopPolling();
      close(fd_);
      throw SocketError(env, "uv_poll_start", -err);
    }
    // Like a dgram socket, an open socket stays alive (and keeps the loop alive) until closed.
    Ref();
    napi_add_env_cleanup_hook(env, OnEnvironmentExit, this);
  }

  ~UdpSocket() override {
    if (fd_ >= 0) napi_remove_env_cleanup_hook(Env(), OnEnvironmentExit, this);
    ReleaseSystem();
  }

 private:
  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<UdpSocket*>(handle->data);
    if (self == nullptr) return;
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    if (status < 0) {
      // libuv could not poll the fd (it is no longer a socket): nothing will ever arrive.
      self->StopPolling();
      self->ReportError(-status, "poll");
      return;
    }
    // Held while JS runs: a handler that closes the socket may let it be collected meanwhile.
    self->Ref();
    self->Drain();
    self->Unref();
  }

  static void OnEnvironmentExit(void* data) { static_cast<UdpSocket*>(data)->ReleaseSystem(); }

  void Drain() {
    unsigned budget = kDatagramsPerWake;
    while (budget > 0 && fd_ >= 0) {
      unsigned wanted = std::min(kBatch, budget);
      for (unsigned i = 0; i < wanted; i++) {
        messages_[i].msg_hdr.msg_namelen = sizeof names_[i];
        messages_[i].msg_hdr.msg_control = controls_[i].bytes;
        messages_[i].msg_hdr.msg_controllen = sizeof controls_[i].bytes;
      }
      int received = ReceiveMany(fd_, messages_.data(), wanted);
      if (received < 0) {
        int err = errno;
        if (err == EINTR) continue;
        if (err == EAGAIN || err == EWOULDBLOCK) return;
        if (IsLasting(err)) StopPolling();
        ReportError(err, "recvmmsg");
        return;
      }
      unsigned datagrams = 0;
      if (!Deliver(static_cast<unsigned>(received), datagrams)) return;
      budget -= std::min(budget, datagrams);
      // Fewer than asked for: the queue is empty, and asking again would only return EAGAIN.
      if (static_cast<unsigned>(received) < wanted) return;
    }
  }

  // When datagram i arrived, on uv_hrtime's clock in ms: the kernel's stamp (a wall-clock time) as
  // an age, taken from the monotonic now; now itself when the kernel gave none.
  double ArrivalOf(unsigned i, double now_ms, const struct timespec& wall_now) const {
#if defined(SO_TIMESTAMPNS)
    const struct msghdr& header = messages_[i].msg_hdr;
    for (const struct cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr;
         c = CMSG_NXTHDR(const_cast<struct msghdr*>(&header), const_cast<struct cmsghdr*>(c))) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
      struct timespec stamp {};
      std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
      double age_ms = static_cast<double>(wall_now.tv_sec - stamp.tv_sec) * 1e3 +
                      static_cast<double>(wall_now.tv_nsec - stamp.tv_nsec) / 1e6;
      // A wall clock stepped meanwhile says nothing true: then the read's time.
      return age_ms >= 0 && age_ms < kMaxArrivalAgeMs ? now_ms - age_ms : now_ms;
    }
#endif
    (void)i;
    (void)wall_now;
    return now_ms;
  }

  // The size of each datagram joined in message i's slot (UDP GRO), or 0 when it holds one.
  size_t JoinedSizeOf(unsigned i) const {
#if defined(__linux__)
    const struct msghdr& header = messages_[i].msg_hdr;
    for (const struct cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr;
         c = CMSG_NXTHDR(const_cast<struct msghdr*>(&header), const_cast<struct cmsghdr*>(c))) {
      if (c->cmsg_level != IPPROTO_UDP || c->cmsg_type != UDP_GRO) continue;
      int size = 0;
      std::memcpy(&size, CMSG_DATA(c), sizeof size);
      return size > 0 ? static_cast<size_t>(size) : 0;
    }
#endif
    (void)i;
    return 0;
  }

  // Offers every datagram of the received messages to the lane and hands the rest to JS, in calls
  // of up to kBatch; datagrams: how many there were. False when JS threw or closed the socket.
  bool Deliver(unsigned received, unsigned& datagrams) {
    double now_ms = static_cast<double>(uv_hrtime()) / 1e6;
    struct timespec wall_now {};
    clock_gettime(CLOCK_REALTIME, &wall_now);
    unsigned queued = 0;
    for (unsigned i = 0; i < received; i++) {
      if (messages_[i].msg_hdr.msg_flags & MSG_TRUNC) {
        oversized_++;
        continue;
      }
      const uint8_t* slot = slots_.data() + i * slot_bytes_;
      size_t length = messages_[i].msg_len;
      size_t size = JoinedSizeOf(i);
      if (size == 0 || size > length) size = length;
      if (size < length) joined_++;
      for (size_t offset = 0; offset < length; offset += size) {
        size_t datagram = std::min(size, length - offset);
        datagrams++;
        // Nothing hnet or a stock peer sends is this long, joined slots or not.
        if (datagram > kSlotBytes) {
          oversized_++;
          continue;
        }
        // What the data lane takes never reaches JS; a batch it took whole costs no call at all.
        if (lane_ && lane_->TakeDatagram(slot + offset, datagram, names_[i])) continue;
        for_js_[queued++] = {slot + offset, datagram, i};
        if (queued == kBatch) {
          if (!CallBatch(queued, now_ms, wall_now)) return false;
          queued = 0;
        }
      }
    }
    return queued == 0 && oversized_ == 0 ? FlushLane() : CallBatch(queued, now_ms, wall_now);
  }

  // What the lane kept to join goes to TUN before JS runs (which may detach the lane).
  bool FlushLane() {
    if (lane_) lane_->FlushReceived();
    return true;
  }

  // The first count datagrams of for_js_ to JS: false when JS threw or closed the socket.
  bool CallBatch(unsigned count, double now_ms, const struct timespec& wall_now) {
    FlushLane();
    Napi::Env env = Env();
    size_t total = 0;
    for (unsigned j = 0; j < count; j++) total += for_js_[j].length;
    // Copied into a JS-owned buffer: handlers may keep a datagram, and the slots are reused at once.
    Napi::Buffer<uint8_t> data = Napi::Buffer<uint8_t>::New(env, total);
    size_t used = 0;
    for (unsigned j = 0; j < count; j++) {
      const ForJs& datagram = for_js_[j];
      std::memcpy(data.Data() + used, datagram.bytes, datagram.length);
      used += datagram.length;
      ends_[j] = static_cast<uint32_t>(used);
      arrivals_[j] = ArrivalOf(datagram.message, now_ms, wall_now);
      WriteSource(names_[datagram.message], sources_ + j * kSourceBytes);
    }
    unsigned oversized = oversized_;
    oversized_ = 0;
    return CallJs(on_batch_, {data, Napi::Number::New(env, count), Napi::Number::New(env, oversized)});
  }

  void ReportError(int err, const char* operation) {
    if (on_error_.IsEmpty()) return;
    CallJs(on_error_, {SocketError(Env(), operation, err).Value()});
  }

  // MakeCallback, not Call: promises and nextTicks queued by the handler run when it returns, as
  // after any I/O callback. A handler that throws is an uncaught exception, as in an event listener.
  bool CallJs(Napi::FunctionReference& callback, const std::initializer_list<napi_value>& args) {
    try {
      callback.MakeCallback(Value(), args, nullptr);
    } catch (const Napi::Error& error) {
      napi_fatal_exception(Env(), error.Value());
      return false;
    }
    return fd_ >= 0;
  }

  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) return Napi::Number::New(env, EBADF);
    Napi::Uint8Array packet = info[0].As<Napi::Uint8Array>();
    Napi::Uint8Array to = info[1].As<Napi::Uint8Array>();
    // Copied out: the caller's bytes need not be aligned, and must describe our own family.
    struct sockaddr_storage address;
    size_t length = to.ByteLength();
    if (length != AddressLength() || length > sizeof address) return Napi::Number::New(env, EINVAL);
    std::memcpy(&address, to.Data(), length);
    if (address.ss_family != family_) return Napi::Number::New(env, EINVAL);
    for (;;) {
      ssize_t sent = sendto(fd_, packet.Data(), packet.ByteLength(), 0, reinterpret_cast<struct sockaddr*>(&address),
                            static_cast<socklen_t>(length));
      if (sent >= 0) return Napi::Number::New(env, 0);
      if (errno != EINTR) return Napi::Number::New(env, errno);
    }
  }

  // Through the same queue as the data lane's sends: runs of equal-sized datagrams to one
  // destination (a relayed burst, say) leave as one message where the kernel has UDP GSO.
  Napi::Value SendBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array packets = info[0].As<Napi::Array>();
    Napi::Array destinations = info[1].As<Napi::Array>();
    unsigned count = std::min(info[2].As<Napi::Number>().Uint32Value(), kBatch);
    unsigned ready = 0;
    unsigned failed = 0;
    SendTarget target;
    for (unsigned i = 0; i < count; i++) {
      send_errors_[i] = 0;
      Napi::Uint8Array packet = packets.Get(i).As<Napi::Uint8Array>();
      Napi::Uint8Array to = destinations.Get(i).As<Napi::Uint8Array>();
      size_t length = to.ByteLength();
      if (fd_ < 0 || length != AddressLength()) {
        send_errors_[i] = fd_ < 0 ? EBADF : EINVAL;
        failed++;
        continue;
      }
      std::memcpy(&target.address, to.Data(), length);
      target.length = static_cast<socklen_t>(length);
      if (target.address.ss_family != family_) {
        send_errors_[i] = EINVAL;
        failed++;
        continue;
      }
      send_queue_.Push(packet.Data(), packet.ByteLength(), target);
      send_index_[ready++] = i;
    }
    if (ready == 0) return Napi::Number::New(env, failed);
    send_queue_.Flush(fd_, queue_errors_.data());
    for (unsigned j = 0; j < ready; j++) {
      send_errors_[send_index_[j]] = queue_errors_[j];
      if (queue_errors_[j] != 0) failed++;
    }
    return Napi::Number::New(env, failed);
  }

  Napi::Value Sockaddr(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber())
      throw Napi::TypeError::New(env, "sockaddr expects (ip, port)");
    std::string text = info[0].As<Napi::String>().Utf8Value();
    int port = info[1].As<Napi::Number>().Int32Value();
    if (port < 0 || port > 65535) return env.Undefined();
    std::string zone;
    size_t percent = text.find('%');
    if (percent != std::string::npos) {
      zone = text.substr(percent + 1);
      text.resize(percent);
    }
    struct in6_addr v6 {};
    struct in_addr v4 {};
    bool is_v4 = inet_pton(AF_INET, text.c_str(), &v4) == 1;
    if (!is_v4 && inet_pton(AF_INET6, text.c_str(), &v6) != 1) return env.Undefined();
    if (!is_v4 && IN6_IS_ADDR_V4MAPPED(&v6)) {
      std::memcpy(&v4, &v6.s6_addr[12], 4);
      is_v4 = true;
    }
    struct sockaddr_storage address {};
    if (family_ == AF_INET) {
      if (!is_v4) return env.Undefined();
      auto* a = reinterpret_cast<struct sockaddr_in*>(&address);
      a->sin_family = AF_INET;
      a->sin_addr = v4;
      a->sin_port = htons(static_cast<uint16_t>(port));
    } else {
      auto* a = reinterpret_cast<struct sockaddr_in6*>(&address);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(static_cast<uint16_t>(port));
      if (is_v4) {
        a->sin6_addr.s6_addr[10] = 0xff;
        a->sin6_addr.s6_addr[11] = 0xff;
        std::memcpy(&a->sin6_addr.s6_addr[12], &v4, 4);
      } else {
        a->sin6_addr = v6;
      }
      if (!zone.empty()) {
        unsigned index = if_nametoindex(zone.c_str());
        char* end = nullptr;
        if (index == 0) index = static_cast<unsigned>(std::strtoul(zone.c_str(), &end, 10));
        if (index == 0 || (end != nullptr && *end != '\0')) return env.Undefined();
        a->sin6_scope_id = index;
      }
    }
#if defined(__APPLE__)
    address.ss_len = static_cast<uint8_t>(AddressLength());
#endif
    return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(&address), AddressLength());
  }

  Napi::Value InterfaceName(const Napi::CallbackInfo& info) {
    unsigned index = info[0].As<Napi::Number>().Uint32Value();
    char name[IF_NAMESIZE];
    if (if_indextoname(index, name) != nullptr) return Napi::String::New(info.Env(), name);
    return Napi::String::New(info.Env(), std::to_string(index));
  }

  // [1 when the kernel joins datagrams on receive (UDP GRO), reads that brought joined ones].
  Napi::Value Offloads(const Napi::CallbackInfo& info) {
    Napi::Float64Array out = Napi::Float64Array::New(info.Env(), 2);
    out[0] = joined_receive_ && fd_ >= 0 ? 1 : 0;
    out[1] = static_cast<double>(joined_);
    return out;
  }

  // Datagrams one per read from now on.
  Napi::Value DisableOffloads(const Napi::CallbackInfo& info) {
#if defined(__linux__)
    int off = 0;
    if (joined_receive_ && fd_ >= 0) setsockopt(fd_, IPPROTO_UDP, UDP_GRO, &off, sizeof off);
#endif
    joined_receive_ = false;
    return info.Env().Undefined();
  }

  Napi::Value UseLane(const Napi::CallbackInfo& info) {
    std::shared_ptr<LaneRouter> lane = LaneRouterOf(info[0]);
    if (lane_) lane_->DetachUdp(this);
    lane_ = fd_ >= 0 ? lane : nullptr;
    if (lane_) lane_->AttachUdp(this, fd_, family_);
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) {
      napi_remove_env_cleanup_hook(Env(), OnEnvironmentExit, this);
      ReleaseSystem();
      on_batch_.Reset();
      on_error_.Reset();
      Unref();
    }
    return info.Env().Undefined();
  }

  size_t AddressLength() const {
    return family_ == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  }

  void StopPolling() {
    if (poll_ == nullptr) return;
    // No callback after uv_close; the handle's memory must outlive it until libuv is done.
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* handle) {
      delete reinterpret_cast<uv_poll_t*>(handle);
    });
    poll_ = nullptr;
  }

  // All an environment that exits with the socket open needs: its JS references go with it.
  void ReleaseSystem() {
    if (lane_) lane_->DetachUdp(this);
    lane_.reset();
    if (fd_ < 0) return;
    StopPolling();
    close(fd_);
    fd_ = -1;
  }

  int family_ = AF_INET6;
  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;
  unsigned oversized_ = 0;
  Napi::FunctionReference on_batch_;
  Napi::FunctionReference on_error_;
  Napi::Reference<Napi::Uint32Array> ends_ref_;
  Napi::Reference<Napi::Uint8Array> sources_ref_;
  Napi::Reference<Napi::Float64Array> arrivals_ref_;
  uint32_t* ends_ = nullptr;
  uint8_t* sources_ = nullptr;
  double* arrivals_ = nullptr;
  // Room for the kernel's arrival stamp of each datagram (SCM_TIMESTAMPNS).
  // And for the size of the datagrams UDP GRO joined.
  struct Control {
    alignas(struct cmsghdr) char bytes[CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(int))];
  };
  std::array<Control, kBatch> controls_{};
  std::vector<uint8_t> slots_;
  std::array<struct iovec, kBatch> iovecs_{};
  std::array<struct sockaddr_storage, kBatch> names_{};
  std::array<struct mmsghdr, kBatch> messages_{};
  int32_t* send_errors_ = nullptr;
  Napi::Reference<Napi::Int32Array> send_errors_ref_;
  DatagramQueue send_queue_;
  static_assert(kBatch <= DatagramQueue::kCapacity, "a sendMany batch fits the queue");
  std::array<int, kBatch> queue_errors_{};
  std::array<unsigned, kBatch> send_index_{};
  // A datagram in a slot, for JS: where it is, and the message it came in.
  struct ForJs {
    const uint8_t* bytes;
    size_t length;
    unsigned message;
  };
  std::array<ForJs, kBatch> for_js_{};
  bool joined_receive_ = false;
  size_t slot_bytes_ = kSlotBytes;
  // Reads that brought several datagrams joined.
  uint64_t joined_ = 0;
  // Sends through fd_ while attached; detached before fd_ is closed.
  std::shared_ptr<LaneRouter> lane_;
};

}  // namespace

void InitUdpSocket(Napi::Env env, Napi::Object exports) { exports.Set("UdpSocket", UdpSocket::Define(env)); }

}  // namespace hnet

#endif
