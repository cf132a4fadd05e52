// Where the data lane sends and whom it believes: a destination in the socket's sockaddr form, and
// the few sources (in WriteSource's form) whose datagrams it may take — a peer's authenticated
// paths, or the base server's UDP endpoints.
#pragma once
#if !defined(_WIN32)

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "socket-address.h"

namespace hnet {

struct SendTarget {
  struct sockaddr_storage address {};
  socklen_t length = 0;
};

using SourceKey = std::array<uint8_t, kSourceBytes>;

struct SourceSet {
  static constexpr size_t kMax = 8;
  size_t count = 0;
  std::array<SourceKey, kMax> keys{};

  // The key's position, or -1. A scan: there are at most kMax, and a hash would cost more.
  int IndexOf(const SourceKey& key) const {
    for (size_t i = 0; i < count; i++) {
      if (keys[i] == key) return static_cast<int>(i);
    }
    return -1;
  }
};

}  // namespace hnet

#endif
