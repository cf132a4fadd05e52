// Packets from a TUN file descriptor (Linux /dev/net/tun, macOS utun).
//
// The fd is made non-blocking: the JS thread's event loop watches it (PollFd) and drains it with
// read() until EAGAIN; writes never block.
//
// A Linux TUN device the helper opened with IFF_VNET_HDR gets the segment offloads here (TSO for
// IPv6, USO where the kernel has it, and with them checksum offload): the engine holds the fd, so
// it can set them without privileges, and knows which the kernel took. Older kernels refuse what
// they lack, and the device then works with what they accepted, or as a plain TUN device.
#include "packet-source.h"

#if !defined(_WIN32)

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#if defined(__linux__)
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#endif

namespace hnet {

namespace {

#if defined(__linux__)
// Linux 6.2's; older headers lack them, older kernels refuse them.
#if !defined(TUN_F_USO4)
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

// The offloads the kernel accepted, tried from the most to the least.
unsigned EnableOffloads(int fd) {
  struct ifreq ifr {};
  if (ioctl(fd, TUNGETIFF, &ifr) != 0 || !(ifr.ifr_flags & IFF_VNET_HDR)) return 0;
  int header_bytes = static_cast<int>(kVnetHeaderBytes);
  if (ioctl(fd, TUNSETVNETHDRSZ, &header_bytes) != 0) return 0;
  struct Choice {
    unsigned long flags;
    unsigned offloads;
  };
  const Choice choices[] = {
      {TUN_F_CSUM | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6, kVnetHeader | kTcpSegments | kUdpSegments},
      {TUN_F_CSUM | TUN_F_TSO6, kVnetHeader | kTcpSegments},
      {0, kVnetHeader},
  };
  for (const Choice& choice : choices) {
    if (ioctl(fd, TUNSETOFFLOAD, choice.flags) == 0) return choice.offloads;
  }
  return kVnetHeader;
}
#endif

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
#if defined(__linux__)
    offloads_ = EnableOffloads(fd_);
    framed_ = (offloads_ & kVnetHeader) != 0;
#endif
  }

  ~FdSource() override { close(fd_); }

  int PollFd() const override { return fd_; }
  unsigned Offloads() const override { return offloads_; }
  void DisableOffloads() override {
#if defined(__linux__)
    if (offloads_ & (kTcpSegments | kUdpSegments)) ioctl(fd_, TUNSETOFFLOAD, 0UL);
#endif
    offloads_ = 0;
  }
  uint64_t Malformed() const override { return malformed_; }

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

  long ReadInto(PacketBatch& batch, SourceError& error) override {
    if (!framed_) return PacketSource::ReadInto(batch, error);
    for (;;) {
      uint8_t bytes[kVnetHeaderBytes];
      // Into the batch past where the packets it stands for can reach, so that they are cut out
      // of it without copying it first.
      uint8_t* packet = batch.Next() + kMaxSplitBytes;
      struct iovec iov[2] = {{bytes, kVnetHeaderBytes}, {packet, kMaxSegment}};
      ssize_t n = readv(fd_, iov, 2);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
      if (n <= 0) {
        error = {n == 0 ? EPIPE : errno, "read"};
        return -1;
      }
      if (static_cast<size_t>(n) <= kVnetHeaderBytes) {
        malformed_++;
        continue;
      }
      size_t length = static_cast<size_t>(n) - kVnetHeaderBytes;
      VnetHeader header = VnetHeader::Read(bytes);
      size_t before = batch.ends.size();
      if (SplitOffloaded(header, packet, length, batch) == SplitOutcome::kMalformed) {
        malformed_++;
        continue;
      }
      return static_cast<long>(batch.ends.size() - before);
    }
  }

  int Write(const uint8_t* packet, size_t length) override {
    if (framed_) return WriteOffloaded(VnetHeader{}, packet, length);
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
      return WriteError(errno);
    }
  }

  int WriteOffloaded(const VnetHeader& header, const uint8_t* packet, size_t length) override {
    if (!framed_) return ENOTSUP;
    uint8_t bytes[kVnetHeaderBytes];
    header.Write(bytes);
    struct iovec iov[2] = {{bytes, kVnetHeaderBytes}, {const_cast<uint8_t*>(packet), length}};
    for (;;) {
      if (writev(fd_, iov, 2) >= 0) return 0;
      if (errno == EINTR) continue;
      return WriteError(errno);
    }
  }

 private:

  static int WriteError(int err) { return err == EWOULDBLOCK || err == ENOBUFS ? EAGAIN : err; }

  int fd_;
  // Every packet read and written carries a virtio-net header (the device was opened so).
  bool framed_ = false;
  unsigned offloads_ = 0;
  uint64_t malformed_ = 0;
};

}  // namespace

std::unique_ptr<PacketSource> OpenFdSource(int fd) { return std::make_unique<FdSource>(fd); }

std::unique_ptr<PacketSource> OpenWintunSource(const std::string&) {
  throw std::system_error(ENOTSUP, std::generic_category(), "Wintun exists only on Windows");
}

}  // namespace hnet

#endif
