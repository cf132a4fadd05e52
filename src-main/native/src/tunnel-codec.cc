#include "tunnel-codec.h"

#include <cstring>

namespace hnet {

namespace {

constexpr uint8_t kMulticastMarker = 0xff;
constexpr uint8_t kMulticastVersion = 0x01;
// Stock peers set this on every rebuilt packet.
constexpr uint8_t kRebuiltHopLimit = 3;

}  // namespace

const uint8_t* UnicastDestination(const uint8_t* packet, size_t length, const uint8_t* own) {
  if (length <= kIpv6HeaderBytes || packet[0] >> 4 != 6) return nullptr;
  size_t declared = size_t{packet[4]} << 8 | packet[5];
  if (declared != length - kIpv6HeaderBytes) return nullptr;
  const uint8_t* source = packet + 8;
  const uint8_t* target = packet + 24;
  if (target[0] != 0xfc || target[1] != 0x94) return nullptr;
  if (std::memcmp(source, own, kAddressBytes) != 0) return nullptr;
  return target;
}

bool IsUnicastTunnelPacket(const uint8_t* tunnel, size_t length) {
  if (length < 2) return false;
  return !(tunnel[0] == kMulticastMarker && tunnel[1] == kMulticastVersion);
}

void WriteRebuiltHeader(uint8_t* header, uint8_t next_header, size_t payload_length, const uint8_t* peer,
                        const uint8_t* own) {
  header[0] = 6 << 4;
  header[1] = 0;
  header[2] = 0;
  header[3] = 0;
  header[4] = static_cast<uint8_t>(payload_length >> 8);
  header[5] = static_cast<uint8_t>(payload_length);
  header[6] = next_header;
  header[7] = kRebuiltHopLimit;
  std::memcpy(header + 8, peer, kAddressBytes);
  std::memcpy(header + 24, own, kAddressBytes);
}

}  // namespace hnet
