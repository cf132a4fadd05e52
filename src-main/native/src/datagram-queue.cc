#include "datagram-queue.h"

#if !defined(_WIN32)

#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace hnet {

namespace {

#if defined(__linux__)
#if !defined(UDP_SEGMENT)
#define UDP_SEGMENT 103
#endif
constexpr bool kKernelSegments = true;
#else
constexpr bool kKernelSegments = false;
#endif

// Older kernels take at most 64 segments a message (UDP_MAX_SEGMENTS), and every kernel at most
// what fits in one IP packet's length field.
constexpr unsigned kMaxSegments = 64;
constexpr size_t kMaxSegmentedBytes = 65000;

bool QueueFull(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS; }

}  // namespace

DatagramQueue::DatagramQueue() : segment_(kKernelSegments) {}

uint8_t* DatagramQueue::Slot() {
  if (slots_.empty()) slots_.resize(kCapacity * kSlotBytes);
  return slots_.data() + count_ * kSlotBytes;
}

void DatagramQueue::Push(const uint8_t* data, size_t length, const SendTarget& target) {
  iovecs_[count_] = {const_cast<uint8_t*>(data), length};
  names_[count_] = target.address;
  name_lengths_[count_] = target.length;
  count_++;
}

bool DatagramQueue::SameTarget(unsigned a, unsigned b) const {
  return name_lengths_[a] == name_lengths_[b] && std::memcmp(&names_[a], &names_[b], name_lengths_[a]) == 0;
}

unsigned DatagramQueue::Gather(unsigned first) {
  unsigned messages = 0;
  for (unsigned i = first; i < count_;) {
    size_t size = iovecs_[i].iov_len;
    size_t total = size;
    unsigned n = 1;
    // Equal sizes to one destination; a shorter one may end the run.
    while (segment_ && i + n < count_ && n < kMaxSegments && SameTarget(i, i + n) &&
           iovecs_[i + n].iov_len <= size && total + iovecs_[i + n].iov_len <= kMaxSegmentedBytes) {
      total += iovecs_[i + n].iov_len;
      n++;
      if (iovecs_[i + n - 1].iov_len < size) break;
    }
    struct msghdr& header = messages_[messages].msg_hdr;
    header = {};
    header.msg_name = &names_[i];
    header.msg_namelen = name_lengths_[i];
    header.msg_iov = &iovecs_[i];
    header.msg_iovlen = n;
#if defined(__linux__)
    if (n > 1) {
      header.msg_control = controls_[messages].bytes;
      header.msg_controllen = sizeof controls_[messages].bytes;
      struct cmsghdr* control = CMSG_FIRSTHDR(&header);
      control->cmsg_level = IPPROTO_UDP;
      control->cmsg_type = UDP_SEGMENT;
      control->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      uint16_t segment = static_cast<uint16_t>(size);
      std::memcpy(CMSG_DATA(control), &segment, sizeof segment);
    }
#endif
    message_first_[messages] = i;
    message_count_[messages] = n;
    messages++;
    i += n;
  }
  return messages;
}

void DatagramQueue::SendEach(int fd, unsigned first, unsigned count, Sent& sent, int* errors) {
  for (unsigned i = first; i < first + count; i++) {
    struct msghdr header {};
    header.msg_name = &names_[i];
    header.msg_namelen = name_lengths_[i];
    header.msg_iov = &iovecs_[i];
    header.msg_iovlen = 1;
    ssize_t n = 0;
    do {
      n = sendmsg(fd, &header, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) (QueueFull(errno) ? sent.queue_full : sent.failed)++;
    if (errors != nullptr) errors[i] = n < 0 ? errno : 0;
  }
}

DatagramQueue::Sent DatagramQueue::Flush(int fd, int* errors) {
  Sent sent;
  if (errors != nullptr) std::fill(errors, errors + count_, 0);
  unsigned first = 0;
  while (first < count_) {
    unsigned messages = Gather(first);
    first = count_;
    unsigned done = 0;
    while (done < messages) {
      int n = SendMany(fd, messages_.data() + done, messages - done);
      if (n > 0) {
        for (unsigned m = done; m < done + static_cast<unsigned>(n); m++) sent.segmented += message_count_[m] > 1;
        done += static_cast<unsigned>(n);
        continue;
      }
      int err = n < 0 ? errno : EIO;
      if (err == EINTR) continue;
      if (message_count_[done] > 1 && (err == EIO || err == EOPNOTSUPP)) {
        // The kernel or this route cannot segment: the rest goes one by one from now on.
        segment_ = false;
        first = message_first_[done];
        break;
      }
      if (message_count_[done] > 1 && err == EINVAL) {
        // Larger than the route's MTU, which only unsegmented datagrams may be (fragmented).
        SendEach(fd, message_first_[done], message_count_[done], sent, errors);
      } else {
        // The first of the rest failed: count its datagrams and carry on after it.
        (QueueFull(err) ? sent.queue_full : sent.failed) += message_count_[done];
        if (errors != nullptr)
          std::fill(errors + message_first_[done], errors + message_first_[done] + message_count_[done], err);
      }
      done++;
    }
  }
  count_ = 0;
  return sent;
}

}  // namespace hnet

#endif
