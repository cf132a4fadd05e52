// Packets from a TUN file descriptor (Linux /dev/net/tun, macOS utun).
//
// The fd is made non-blocking: the reader thread sleeps in poll() on it and on a wake-up pipe,
// then drains it with read() until EAGAIN; writes from the JS thread never block.
#include "packet-source.h"

#if !defined(_WIN32)

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace hnet {

namespace {

#if defined(__APPLE__)
// utun prefixes every packet with its address family, in network byte order. Untested.
constexpr size_t kFrameHeader = 4;
#endif

class FdSource : public PacketSource {
 public:
  explicit FdSource(int fd) : fd_(fd) {
    if (pipe(wake_) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
    for (int end : wake_) fcntl(end, F_SETFD, FD_CLOEXEC);
    int flags = fcntl(fd_, F_GETFL);
    if (flags < 0 || fcntl(fd_, F_SETFL, flags | O_NONBLOCK) != 0) {
      int err = errno;
      close(wake_[0]);
      close(wake_[1]);
      throw std::system_error(err, std::generic_category(), "fcntl(O_NONBLOCK)");
    }
  }

  ~FdSource() override {
    close(fd_);
    close(wake_[0]);
    close(wake_[1]);
  }

  bool WaitReadable(SourceError& error) override {
    struct pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    for (;;) {
      if (poll(fds, 2, -1) >= 0) return fds[1].revents == 0;
      if (errno != EINTR) {
        error = {errno, "poll"};
        return false;
      }
    }
  }

  long ReadPacket(uint8_t* out, SourceError& error) override {
    for (;;) {
#if defined(__APPLE__)
      uint8_t header[kFrameHeader];
      struct iovec iov[2] = {{header, kFrameHeader}, {out, kMaxPacket}};
      ssize_t n = readv(fd_, iov, 2);
      if (n >= static_cast<ssize_t>(kFrameHeader)) return static_cast<long>(n - kFrameHeader);
#else
      ssize_t n = read(fd_, out, kMaxPacket);
      if (n > 0) return static_cast<long>(n);
#endif
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
      // The device was deleted (EBADFD/EIO) or hung up (0).
      error = {n == 0 ? EPIPE : errno, "read"};
      return -1;
    }
  }

  void Wake() override {
    uint8_t one = 1;
    ssize_t ignored = write(wake_[1], &one, 1);
    (void)ignored;
  }

  int Write(const uint8_t* packet, size_t length) override {
    for (;;) {
#if defined(__APPLE__)
      uint32_t family = htonl(length > 0 && (packet[0] >> 4) == 6 ? AF_INET6 : AF_INET);
      struct iovec iov[2] = {{&family, kFrameHeader}, {const_cast<uint8_t*>(packet), length}};
      ssize_t n = writev(fd_, iov, 2);
#else
      ssize_t n = write(fd_, packet, length);
#endif
      if (n >= 0) return 0;
      if (errno == EINTR) continue;
      return errno == EWOULDBLOCK || errno == ENOBUFS ? EAGAIN : errno;
    }
  }

 private:
  int fd_;
  int wake_[2] = {-1, -1};
};

}  // namespace

std::unique_ptr<PacketSource> OpenFdSource(int fd) { return std::make_unique<FdSource>(fd); }

std::unique_ptr<PacketSource> OpenWintunSource(const std::string&) {
  throw std::system_error(ENOTSUP, std::generic_category(), "Wintun exists only on Windows");
}

}  // namespace hnet

#endif
