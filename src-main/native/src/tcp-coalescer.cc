#include "tcp-coalescer.h"

#include <algorithm>
#include <cstring>

#include "inet-checksum.h"

namespace hnet {

namespace {

constexpr size_t kIpv6Header = 40;
constexpr uint8_t kTcp = 6;
constexpr size_t kMinTcpHeader = 20;
constexpr uint8_t kPsh = 0x08;
constexpr uint8_t kAck = 0x10;
// Offsets in the packet, the TCP header being right after the IPv6 header.
constexpr size_t kSeqAt = kIpv6Header + 4;
constexpr size_t kAckAt = kIpv6Header + 8;
constexpr size_t kOffsetAt = kIpv6Header + 12;
constexpr size_t kFlagsAt = kIpv6Header + 13;
constexpr size_t kWindowAt = kIpv6Header + 14;
constexpr size_t kChecksumAt = kIpv6Header + 16;
constexpr size_t kOptionsAt = kIpv6Header + kMinTcpHeader;

uint32_t Load32(const uint8_t* at) { return uint32_t{at[0]} << 24 | uint32_t{at[1]} << 16 | uint32_t{at[2]} << 8 | at[3]; }

// Source and destination addresses, then ports.
bool SameConnection(const uint8_t* a, const uint8_t* b) {
  return std::memcmp(a + 8, b + 8, 32) == 0 && std::memcmp(a + kIpv6Header, b + kIpv6Header, 4) == 0;
}

// IPv6 straight to TCP, as long as it says: the TCP header's length, else 0.
size_t TcpHeaders(const uint8_t* packet, size_t length) {
  if (length < kIpv6Header + kMinTcpHeader || packet[0] >> 4 != 6 || packet[6] != kTcp) return 0;
  if ((size_t{packet[4]} << 8 | packet[5]) != length - kIpv6Header) return 0;
  size_t headers = kIpv6Header + static_cast<size_t>(packet[kOffsetAt] >> 4) * 4;
  return headers >= kIpv6Header + kMinTcpHeader && headers <= length ? headers : 0;
}

}  // namespace

TcpCoalescer::Run* TcpCoalescer::Find(const uint8_t* packet) {
  for (size_t i = 0; i < active_; i++) {
    if (SameConnection(runs_[i].bytes.data(), packet)) return &runs_[i];
  }
  return nullptr;
}

void TcpCoalescer::Add(const uint8_t* packet, size_t length) {
  size_t headers = TcpHeaders(packet, length);
  if (headers == 0) {
    sink_.Emit(VnetHeader{}, packet, length, 1);
    return;
  }
  uint8_t flags = packet[kFlagsAt];
  size_t payload = length - headers;
  bool joinable = payload > 0 && (flags & ~kPsh) == kAck && Layer4ChecksumValid(packet, kIpv6Header, length, kTcp);
  Run* run = Find(packet);
  if (run != nullptr && joinable && !run->closed && headers == run->headers && payload <= run->segment &&
      run->used + payload <= kMaxBytes && Load32(packet + kSeqAt) == run->next_seq &&
      std::memcmp(packet + kAckAt, run->bytes.data() + kAckAt, 4) == 0 &&
      std::memcmp(packet + kWindowAt, run->bytes.data() + kWindowAt, 2) == 0 &&
      std::memcmp(packet + kOptionsAt, run->bytes.data() + kOptionsAt, headers - kIpv6Header - kMinTcpHeader) == 0) {
    std::memcpy(run->bytes.data() + run->used, packet + headers, payload);
    run->used += payload;
    run->next_seq += static_cast<uint32_t>(payload);
    run->packets++;
    if (flags & kPsh) run->bytes[kFlagsAt] |= kPsh;
    run->closed = payload < run->segment || (flags & kPsh) != 0;
    return;
  }
  // Whatever is kept for this connection goes first, so that its packets stay in order.
  if (run != nullptr) Emit(*run);
  if (!joinable) {
    sink_.Emit(VnetHeader{}, packet, length, 1);
    return;
  }
  if (active_ == kRuns) Emit(runs_[0]);
  Start(runs_[active_++], packet, length, headers);
}

void TcpCoalescer::Start(Run& run, const uint8_t* packet, size_t length, size_t headers) {
  if (run.bytes.size() < kMaxBytes) run.bytes.resize(kMaxBytes);
  std::memcpy(run.bytes.data(), packet, length);
  run.used = length;
  run.headers = headers;
  run.segment = length - headers;
  run.next_seq = Load32(packet + kSeqAt) + static_cast<uint32_t>(run.segment);
  run.packets = 1;
  run.closed = (packet[kFlagsAt] & kPsh) != 0;
}

// Emits the run and drops it from the active ones, keeping their order.
void TcpCoalescer::Emit(Run& run) {
  uint8_t* bytes = run.bytes.data();
  VnetHeader header;
  if (run.packets == 1) {
    header.flags = VnetHeader::kDataValid;
  } else {
    size_t tcp_length = run.used - kIpv6Header;
    bytes[4] = static_cast<uint8_t>(tcp_length >> 8);
    bytes[5] = static_cast<uint8_t>(tcp_length);
    // A partial checksum, as the kernel's GRO leaves it: the pseudo-header's sum, not complemented;
    // the kernel finishes it if the segment is ever sent on rather than taken by a local socket.
    uint16_t partial = ChecksumFold(PseudoHeaderSum(bytes + 8, bytes + 24, static_cast<uint32_t>(tcp_length), kTcp));
    std::memcpy(bytes + kChecksumAt, &partial, 2);
    header.flags = VnetHeader::kNeedsChecksum;
    header.gso_type = VnetHeader::kGsoTcpV6;
    header.header_length = static_cast<uint16_t>(run.headers);
    header.gso_size = static_cast<uint16_t>(run.segment);
    header.checksum_start = kIpv6Header;
    header.checksum_offset = kChecksumAt - kIpv6Header;
  }
  sink_.Emit(header, bytes, run.used, run.packets);
  Run* first = runs_.data();
  std::rotate(&run, &run + 1, first + active_);
  active_--;
}

void TcpCoalescer::Flush() {
  while (active_ > 0) Emit(runs_[0]);
}

}  // namespace hnet
