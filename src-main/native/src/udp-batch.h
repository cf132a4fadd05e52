// Datagrams in batches: recvmmsg/sendmmsg on Linux, one recvmsg/sendmsg per datagram elsewhere
// (macOS has neither), behind one interface for the UDP socket and the data lane.
#pragma once
#if !defined(_WIN32)

#include <sys/socket.h>

namespace hnet {

#if !defined(__linux__)
struct mmsghdr {
  struct msghdr msg_hdr;
  unsigned int msg_len;
};
#endif

// Without blocking; how many were received, or -1 with errno set.
int ReceiveMany(int fd, struct mmsghdr* messages, unsigned count);
// How many of the first count were sent (the next one failed), or -1 with errno set.
int SendMany(int fd, struct mmsghdr* messages, unsigned count);

}  // namespace hnet

#endif
