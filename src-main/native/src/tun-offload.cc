#include "tun-offload.h"

#include <cstring>

#include "inet-checksum.h"
#include "packet-fields.h"
#include "tunnel-codec.h"

namespace hnet {

namespace {

// A packet that needs no cutting, its checksum finished as the kernel's skb_checksum_help would.
SplitOutcome Whole(const VnetHeader& header, uint8_t* packet, size_t length, PacketBatch& out) {
  if (header.flags & VnetHeader::kNeedsChecksum) {
    size_t start = header.checksum_start;
    size_t field = start + header.checksum_offset;
    if (field + 2 > length) return SplitOutcome::kMalformed;
    // The field holds the pseudo-header's sum; the rest of the sum is the data from start.
    uint16_t checksum = static_cast<uint16_t>(~ChecksumFold(ChecksumAdd(packet + start, length - start, 0)));
    if (checksum == 0) checksum = 0xffff;
    std::memcpy(packet + field, &checksum, 2);
  }
  if (packet != out.Next()) std::memmove(out.Next(), packet, length);
  out.Append(length);
  return SplitOutcome::kDone;
}

// One TCP or UDP segment over IPv6 cut into gso_size pieces of payload, each behind a copy of the
// headers (the IPv6 header with any extension headers, then layer 4's).
SplitOutcome Cut(const VnetHeader& header, uint8_t* packet, size_t length, PacketBatch& out) {
  bool tcp = (header.gso_type & ~VnetHeader::kGsoEcn) == VnetHeader::kGsoTcpV6;
  size_t l4 = header.checksum_start;
  if (length < kIpv6HeaderBytes || packet[0] >> 4 != 6 || l4 < kIpv6HeaderBytes || header.gso_size == 0)
    return SplitOutcome::kMalformed;
  size_t l4_header = kUdpHeaderBytes;
  if (tcp) {
    if (l4 + kMinTcpHeaderBytes > length) return SplitOutcome::kMalformed;
    l4_header = static_cast<size_t>(packet[l4 + kTcpOffsetAt] >> 4) * 4;
    if (l4_header < kMinTcpHeaderBytes) return SplitOutcome::kMalformed;
  }
  size_t headers = l4 + l4_header;
  if (headers > length) return SplitOutcome::kMalformed;
  size_t payload = length - headers;
  size_t size = header.gso_size;
  size_t pieces = payload == 0 ? 1 : (payload + size - 1) / size;
  if (pieces > kMaxSplitPackets || length + (pieces - 1) * headers > kMaxSplitBytes) return SplitOutcome::kMalformed;
  uint32_t seq = tcp ? Load32(packet + l4 + kTcpSeqAt) : 0;
  uint8_t flags = tcp ? packet[l4 + kTcpFlagsAt] : 0;
  for (size_t i = 0; i < pieces; i++) {
    size_t taken = i * size;
    size_t piece = payload - taken < size ? payload - taken : size;
    uint8_t* at = out.Next();
    std::memcpy(at, packet, headers);
    std::memcpy(at + headers, packet + headers + taken, piece);
    size_t total = headers + piece;
    Store16(at + 4, total - kIpv6HeaderBytes);
    if (tcp) {
      Store32(at + l4 + kTcpSeqAt, seq + static_cast<uint32_t>(taken));
      uint8_t piece_flags = flags;
      if (i + 1 < pieces) piece_flags &= static_cast<uint8_t>(~(kTcpFin | kTcpPsh));
      if (i > 0) piece_flags &= static_cast<uint8_t>(~kTcpCwr);
      at[l4 + kTcpFlagsAt] = piece_flags;
      WriteLayer4Checksum(at, l4, total, kTcpProtocol, kTcpChecksumAt);
    } else {
      Store16(at + l4 + kUdpLengthAt, l4_header + piece);
      WriteLayer4Checksum(at, l4, total, kUdpProtocol, kUdpChecksumAt);
    }
    out.Append(total);
  }
  return SplitOutcome::kDone;
}

}  // namespace

VnetHeader VnetHeader::Read(const uint8_t* bytes) {
  VnetHeader header;
  header.flags = bytes[0];
  header.gso_type = bytes[1];
  std::memcpy(&header.header_length, bytes + 2, 2);
  std::memcpy(&header.gso_size, bytes + 4, 2);
  std::memcpy(&header.checksum_start, bytes + 6, 2);
  std::memcpy(&header.checksum_offset, bytes + 8, 2);
  return header;
}

void VnetHeader::Write(uint8_t* bytes) const {
  bytes[0] = flags;
  bytes[1] = gso_type;
  std::memcpy(bytes + 2, &header_length, 2);
  std::memcpy(bytes + 4, &gso_size, 2);
  std::memcpy(bytes + 6, &checksum_start, 2);
  std::memcpy(bytes + 8, &checksum_offset, 2);
}

SplitOutcome SplitOffloaded(const VnetHeader& header, uint8_t* packet, size_t length, PacketBatch& out) {
  switch (header.gso_type & ~VnetHeader::kGsoEcn) {
    case VnetHeader::kGsoNone:
      return Whole(header, packet, length, out);
    case VnetHeader::kGsoTcpV6:
    case VnetHeader::kGsoUdpL4:
      return Cut(header, packet, length, out);
    default:
      // IPv4 and UFO: never enabled on the device, so never sent by a kernel.
      return SplitOutcome::kMalformed;
  }
}

}  // namespace hnet
