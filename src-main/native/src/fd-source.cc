// Packets from a TUN file descriptor (Linux /dev/net/tun, macOS utun).
//
// The fd is made non-blocking: the JS thread's event loop watches it (PollFd) and drains it with
// read() until EAGAIN; writes never block.
#include "packet-source.h"

#if !defined(_WIN32)

#include <arpa/inet.h>
#include <fcntl.h>
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
    int flags = fcntl(fd_, F_GETFL);
    if (flags < 0 || fcntl(fd_, F_SETFL, flags | O_NONBLOCK) != 0) {
      int err = errno;
      close(fd_);
      throw std::system_error(err, std::generic_category(), "fcntl(O_NONBLOCK)");
    }
  }

  ~FdSource() override { close(fd_); }

  int PollFd() const override { return fd_; }

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
};

}  // namespace

std::unique_ptr<PacketSource> OpenFdSource(int fd) { return std::make_unique<FdSource>(fd); }

std::unique_ptr<PacketSource> OpenWintunSource(const std::string&) {
  throw std::system_error(ENOTSUP, std::generic_category(), "Wintun exists only on Windows");
}

}  // namespace hnet

#endif
