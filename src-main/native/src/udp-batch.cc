#include "udp-batch.h"

#if !defined(_WIN32)

namespace hnet {

#if defined(__linux__)
int ReceiveMany(int fd, struct mmsghdr* messages, unsigned count) {
  return recvmmsg(fd, messages, count, MSG_DONTWAIT, nullptr);
}

int SendMany(int fd, struct mmsghdr* messages, unsigned count) { return sendmmsg(fd, messages, count, 0); }
#else
int ReceiveMany(int fd, struct mmsghdr* messages, unsigned count) {
  unsigned received = 0;
  for (; received < count; received++) {
    ssize_t n = recvmsg(fd, &messages[received].msg_hdr, MSG_DONTWAIT);
    // An error after some datagrams is met again by the next call.
    if (n < 0) return received > 0 ? static_cast<int>(received) : -1;
    messages[received].msg_len = static_cast<unsigned>(n);
  }
  return static_cast<int>(received);
}

int SendMany(int fd, struct mmsghdr* messages, unsigned count) {
  unsigned sent = 0;
  for (; sent < count; sent++) {
    if (sendmsg(fd, &messages[sent].msg_hdr, 0) < 0) return sent > 0 ? static_cast<int>(sent) : -1;
  }
  return static_cast<int>(sent);
}
#endif

}  // namespace hnet

#endif
