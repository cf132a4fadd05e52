// The unicast half of IPv6 over the tunnel (PROTOCOL.md §4), as src-protocol/tunnel-packet.ts does
// it: the 40-byte header travels as its next-header byte alone, and the receiver rebuilds it from
// the authenticated peer. Multicast and every packet the reference would refuse are not handled
// here: the lane leaves them to JavaScript, which sends them or counts the drop.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hnet {

constexpr size_t kAddressBytes = 16;
constexpr size_t kIpv6HeaderBytes = 40;

// The overlay destination of an IPv6 packet that compresses to unicast: from own, to fc94::/16, its
// payload length as declared. nullptr for anything else.
const uint8_t* UnicastDestination(const uint8_t* packet, size_t length, const uint8_t* own);

// True when a tunnel packet (nextHeader ‖ payload, as opened) is unicast with a payload.
bool IsUnicastTunnelPacket(const uint8_t* tunnel, size_t length);

// Writes the header of the IPv6 packet rebuilt from a unicast tunnel packet whose payload follows at
// header + 40: version 6, traffic class and flow 0, hop limit 3, src = peer, dst = own.
void WriteRebuiltHeader(uint8_t* header, uint8_t next_header, size_t payload_length, const uint8_t* peer,
                        const uint8_t* own);

}  // namespace hnet
