// A datagram's source in one form whatever the socket's family: what JavaScript reads as
// UdpSocketHandle.sources, and what the data lane compares to tell a peer's packets apart.
#pragma once
#if !defined(_WIN32)

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

namespace hnet {

constexpr size_t kSourceBytes = 24;

// 16-byte address (IPv4 as ::ffff:a.b.c.d), port in network order, 2 zero bytes, then the scope id
// (native u32) of a link-local IPv6 source, else 0. All zero for a family other than IPv4 or IPv6.
void WriteSource(const struct sockaddr_storage& from, uint8_t* out);

// A sockaddr_in or sockaddr_in6 as UdpSocketHandle.sockaddr made it; false for anything else.
bool ReadSockaddr(const uint8_t* bytes, size_t length, struct sockaddr_storage& out, socklen_t& out_length);

}  // namespace hnet

#endif
