// Passing an open file descriptor between processes over a Unix socket (SCM_RIGHTS).
//
// Node's net module reads sockets with plain read(), which makes the kernel drop (close) any
// descriptor attached to the data. So the two ends are kept apart from libuv's reading:
//  - the helper (server) side reads requests through net, then sends the one reply carrying the
//    fd with sendmsg() straight on the socket's fd, when nothing else is queued on it;
//  - the engine (client) side never hands the socket to libuv: a threadpool worker connects,
//    sends the request and recvmsg()s the reply, blocking with a timeout, off the main thread.
#include "fd-passing.h"

#include "errors.h"

#if !defined(_WIN32)
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#endif

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace hnet {

#if !defined(_WIN32)

namespace {

// A reply larger than this is not something our helper sends; stop reading rather than grow.
constexpr size_t kMaxResponse = 1 << 20;
// Room for several descriptors so that extra ones (which we never expect) can be closed
// rather than leaked.
constexpr size_t kMaxFds = 4;

#if defined(MSG_NOSIGNAL)
constexpr int kSendFlags = MSG_NOSIGNAL;
#else
constexpr int kSendFlags = 0;
#endif

#if defined(MSG_CMSG_CLOEXEC)
constexpr int kRecvFlags = MSG_CMSG_CLOEXEC;
#else
constexpr int kRecvFlags = 0;
#endif

void SetCloexec(int fd) { fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC); }

class RequestWorker : public Napi::AsyncWorker {
 public:
  RequestWorker(Napi::Env env, std::string path, std::vector<uint8_t> request, int timeout_ms)
      : Napi::AsyncWorker(env, "hnet:requestWithFd"),
        deferred_(Napi::Promise::Deferred::New(env)),
        path_(std::move(path)),
        request_(std::move(request)),
        timeout_ms_(timeout_ms) {}

  ~RequestWorker() override {
    if (received_fd_ >= 0) close(received_fd_);
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    int sock = socket(AF_UNIX, SOCK_STREAM, 0);
    if (sock < 0) return Fail("socket", errno);
    SetCloexec(sock);
    Exchange(sock);
    close(sock);
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object result = Napi::Object::New(env);
    result.Set("response", Napi::Buffer<uint8_t>::Copy(env, response_.data(), response_.size()));
    result.Set("fd", Napi::Number::New(env, received_fd_));
    received_fd_ = -1;  // ownership moves to JS
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error&) override {
    Napi::Env env = Env();
    std::string message = operation_ + " failed: " + std::strerror(errno_);
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("code", Napi::String::New(env, ErrnoName(errno_)));
    error.Set("errno", Napi::Number::New(env, errno_));
    error.Set("syscall", Napi::String::New(env, operation_));
    deferred_.Reject(error.Value());
  }

 private:
  void Fail(const char* operation, int err) {
    operation_ = operation;
    errno_ = err;
    SetError(operation);
  }

  void Exchange(int sock) {
    struct timeval tv {};
    tv.tv_sec = timeout_ms_ / 1000;
    tv.tv_usec = (timeout_ms_ % 1000) * 1000;
    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof(addr.sun_path)) return Fail("connect", ENAMETOOLONG);
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    while (connect(sock, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) != 0) {
      if (errno != EINTR) return Fail("connect", errno);
    }

    size_t sent = 0;
    while (sent < request_.size()) {
      ssize_t n = send(sock, request_.data() + sent, request_.size() - sent, kSendFlags);
      if (n < 0 && errno == EINTR) continue;
      // The helper answers a refused caller without reading the request; its reply is waiting.
      if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) break;
      if (n < 0) return Fail("send", errno == EAGAIN ? ETIMEDOUT : errno);
      sent += static_cast<size_t>(n);
    }

    uint8_t chunk[16384];
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
    for (;;) {
      struct iovec iov {chunk, sizeof(chunk)};
      struct msghdr msg {};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      ssize_t n = recvmsg(sock, &msg, kRecvFlags);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Fail("recvmsg", errno == EAGAIN ? ETIMEDOUT : errno);
      TakeDescriptors(msg);
      if (msg.msg_flags & MSG_CTRUNC) return Fail("recvmsg", EMSGSIZE);
      if (n == 0) return;
      response_.insert(response_.end(), chunk, chunk + n);
      if (response_.size() > kMaxResponse) return Fail("recvmsg", EMSGSIZE);
    }
  }

  void TakeDescriptors(struct msghdr& msg) {
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; i++) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        SetCloexec(fd);
        if (received_fd_ < 0) {
          received_fd_ = fd;
        } else {
          close(fd);
        }
      }
    }
  }

  Napi::Promise::Deferred deferred_;
  std::string path_;
  std::vector<uint8_t> request_;
  int timeout_ms_;
  std::vector<uint8_t> response_;
  int received_fd_ = -1;
  std::string operation_;
  int errno_ = 0;
};

}  // namespace

Napi::Value SendWithFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsTypedArray() || !info[2].IsNumber()) {
    throw Napi::TypeError::New(env, "sendWithFd expects (socketFd, Uint8Array, fd)");
  }
  int sock = info[0].As<Napi::Number>().Int32Value();
  Napi::Uint8Array payload = info[1].As<Napi::Uint8Array>();
  int fd = info[2].As<Napi::Number>().Int32Value();
  if (payload.ByteLength() == 0) throw Napi::TypeError::New(env, "sendWithFd needs a payload");

  struct iovec iov {payload.Data(), payload.ByteLength()};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));

  ssize_t n;
  do {
    n = sendmsg(sock, &msg, kSendFlags);
  } while (n < 0 && errno == EINTR);
  if (n < 0) ThrowErrno(env, "sendmsg", errno);
  return Napi::Number::New(env, static_cast<double>(n));
}

Napi::Value RequestWithFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsTypedArray() || !info[2].IsNumber()) {
    throw Napi::TypeError::New(env, "requestWithFd expects (socketPath, Uint8Array, timeoutMs)");
  }
  Napi::Uint8Array request = info[1].As<Napi::Uint8Array>();
  auto* worker = new RequestWorker(env, info[0].As<Napi::String>().Utf8Value(),
                                   std::vector<uint8_t>(request.Data(), request.Data() + request.ByteLength()),
                                   info[2].As<Napi::Number>().Int32Value());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

#else

Napi::Value SendWithFd(const Napi::CallbackInfo& info) { ThrowUnsupported(info.Env(), "sendWithFd"); }
Napi::Value RequestWithFd(const Napi::CallbackInfo& info) { ThrowUnsupported(info.Env(), "requestWithFd"); }

#endif

}  // namespace hnet
