#include "socket-address.h"

#if !defined(_WIN32)

#include <netinet/in.h>

#include <cstring>

namespace hnet {

void WriteSource(const struct sockaddr_storage& from, uint8_t* out) {
  std::memset(out, 0, kSourceBytes);
  if (from.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const struct sockaddr_in6&>(from);
    std::memcpy(out, &a.sin6_addr, 16);
    std::memcpy(out + 16, &a.sin6_port, 2);
    if (IN6_IS_ADDR_LINKLOCAL(&a.sin6_addr)) {
      uint32_t scope = a.sin6_scope_id;
      std::memcpy(out + 20, &scope, sizeof scope);
    }
  } else if (from.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const struct sockaddr_in&>(from);
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out + 12, &a.sin_addr, 4);
    std::memcpy(out + 16, &a.sin_port, 2);
  }
}

bool ReadSockaddr(const uint8_t* bytes, size_t length, struct sockaddr_storage& out, socklen_t& out_length) {
  if (length > sizeof out) return false;
  out = {};
  std::memcpy(&out, bytes, length);
  bool valid = (out.ss_family == AF_INET6 && length == sizeof(struct sockaddr_in6)) ||
               (out.ss_family == AF_INET && length == sizeof(struct sockaddr_in));
  out_length = static_cast<socklen_t>(length);
  return valid;
}

}  // namespace hnet

#endif
