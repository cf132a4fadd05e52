// Datagrams gathered while a batch of packets is worked through, then sent together: one sendmmsg
// for the lot and, where the kernel has UDP GSO (Linux 4.18+), one message for each run of
// equal-sized datagrams to one destination (UDP_SEGMENT), which the kernel moves through its stack
// as one and a receiver with UDP GRO takes in one read. The datagrams on the wire do not change.
//
// A kernel or route that cannot segment (EIO: a device without checksum offload) refuses the
// message; the queue then sends one by one from there on.
#pragma once
#if !defined(_WIN32)

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "lane-endpoints.h"
#include "udp-batch.h"

namespace hnet {

class DatagramQueue {
 public:
  static constexpr unsigned kCapacity = 64;
  static constexpr size_t kSlotBytes = 2048;

  struct Sent {
    // Messages that carried more than one datagram.
    uint64_t segmented = 0;
    // Datagrams refused: the send queue was full, or for another reason.
    uint64_t queue_full = 0;
    uint64_t failed = 0;
  };

  DatagramQueue();
  DatagramQueue(const DatagramQueue&) = delete;
  DatagramQueue& operator=(const DatagramQueue&) = delete;

  bool empty() const { return count_ == 0; }
  bool full() const { return count_ == kCapacity; }
  // Room for the next datagram (kSlotBytes) for a caller without a buffer of its own.
  uint8_t* Slot();
  // Queues length bytes at data (a Slot, or the caller's, left untouched until Flush) for target.
  void Push(const uint8_t* data, size_t length, const SendTarget& target);
  // Sends everything queued on fd and empties the queue; errors, when given, gets an errno (0: sent)
  // per datagram, in the order they were pushed.
  Sent Flush(int fd, int* errors = nullptr);
  void Clear() { count_ = 0; }
  bool segmenting() const { return segment_; }
  void StopSegmenting() { segment_ = false; }

 private:
  // The messages for datagrams from first on; how many.
  unsigned Gather(unsigned first);
  bool SameTarget(unsigned a, unsigned b) const;
  // Datagrams first to first + count, one sendmsg each.
  void SendEach(int fd, unsigned first, unsigned count, Sent& sent, int* errors);

  unsigned count_ = 0;
  bool segment_;
  // Made on the first Slot(): a caller that brings its buffers needs none.
  std::vector<uint8_t> slots_;
  std::array<struct iovec, kCapacity> iovecs_{};
  std::array<struct sockaddr_storage, kCapacity> names_{};
  std::array<socklen_t, kCapacity> name_lengths_{};
  // One per message: the datagrams it carries, and its UDP_SEGMENT.
  std::array<struct mmsghdr, kCapacity> messages_{};
  std::array<unsigned, kCapacity> message_first_{};
  std::array<unsigned, kCapacity> message_count_{};
  struct Control {
    alignas(struct cmsghdr) char bytes[CMSG_SPACE(sizeof(uint16_t))];
  };
  std::array<Control, kCapacity> controls_{};
};

}  // namespace hnet

#endif
