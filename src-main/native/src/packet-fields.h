// Fields of the IPv6, TCP and UDP headers the segment offloads read and write (tun-offload.cc,
// tcp-coalescer.cc): big-endian loads and stores, protocol numbers, offsets and TCP's flag bits.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hnet {

constexpr uint8_t kTcpProtocol = 6;
constexpr uint8_t kUdpProtocol = 17;
constexpr size_t kMinTcpHeaderBytes = 20;
constexpr size_t kUdpHeaderBytes = 8;
// Offsets in the TCP and UDP headers.
constexpr size_t kTcpSeqAt = 4;
constexpr size_t kTcpAckAt = 8;
constexpr size_t kTcpOffsetAt = 12;
constexpr size_t kTcpFlagsAt = 13;
constexpr size_t kTcpWindowAt = 14;
constexpr size_t kTcpChecksumAt = 16;
constexpr size_t kUdpLengthAt = 4;
constexpr size_t kUdpChecksumAt = 6;
// TCP flags.
constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpPsh = 0x08;
constexpr uint8_t kTcpAck = 0x10;
constexpr uint8_t kTcpCwr = 0x80;

inline uint32_t Load32(const uint8_t* at) {
  return uint32_t{at[0]} << 24 | uint32_t{at[1]} << 16 | uint32_t{at[2]} << 8 | at[3];
}

inline size_t Load16(const uint8_t* at) { return size_t{at[0]} << 8 | at[1]; }

inline void Store32(uint8_t* at, uint32_t value) {
  at[0] = static_cast<uint8_t>(value >> 24);
  at[1] = static_cast<uint8_t>(value >> 16);
  at[2] = static_cast<uint8_t>(value >> 8);
  at[3] = static_cast<uint8_t>(value);
}

inline void Store16(uint8_t* at, size_t value) {
  at[0] = static_cast<uint8_t>(value >> 8);
  at[1] = static_cast<uint8_t>(value);
}

}  // namespace hnet
