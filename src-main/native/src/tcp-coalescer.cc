#include "tcp-coalescer.h"

#include <algorithm>
#include <cstring>

#include "inet-checksum.h"
#include "packet-fields.h"
#include "tunnel-codec.h"

namespace hnet {

namespace {

// Offsets in the packet, the TCP header being right after the IPv6 header.
constexpr size_t kSeqAt = kIpv6HeaderBytes + kTcpSeqAt;
constexpr size_t kAckAt = kIpv6HeaderBytes + kTcpAckAt;
constexpr size_t kOffsetAt = kIpv6HeaderBytes + kTcpOffsetAt;
constexpr size_t kFlagsAt = kIpv6HeaderBytes + kTcpFlagsAt;
constexpr size_t kWindowAt = kIpv6HeaderBytes + kTcpWindowAt;
constexpr size_t kChecksumAt = kIpv6HeaderBytes + kTcpChecksumAt;
constexpr size_t kOptionsAt = kIpv6HeaderBytes + kMinTcpHeaderBytes;

// Source and destination addresses, then ports.
bool SameConnection(const uint8_t* a, const uint8_t* b) {
  return std::memcmp(a + 8, b + 8, 32) == 0 && std::memcmp(a + kIpv6HeaderBytes, b + kIpv6HeaderBytes, 4) == 0;
}

// IPv6 straight to TCP, as long as it says: the TCP header's length, else 0.
size_t TcpHeaders(const uint8_t* packet, size_t length) {
  if (length < kIpv6HeaderBytes + kMinTcpHeaderBytes || packet[0] >> 4 != 6 || packet[6] != kTcpProtocol) return 0;
  if (Load16(packet + 4) != length - kIpv6HeaderBytes) return 0;
  size_t headers = kIpv6HeaderBytes + static_cast<size_t>(packet[kOffsetAt] >> 4) * 4;
  return headers >= kIpv6HeaderBytes + kMinTcpHeaderBytes && headers <= length ? headers : 0;
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
  bool joinable = payload > 0 && (flags & ~kTcpPsh) == kTcpAck && Layer4ChecksumValid(packet, kIpv6HeaderBytes, length, kTcpProtocol);
  Run* run = Find(packet);
  if (run != nullptr && joinable && !run->closed && headers == run->headers && payload <= run->segment &&
      run->used + payload <= kMaxBytes && Load32(packet + kSeqAt) == run->next_seq &&
      std::memcmp(packet + kAckAt, run->bytes.data() + kAckAt, 4) == 0 &&
      std::memcmp(packet + kWindowAt, run->bytes.data() + kWindowAt, 2) == 0 &&
      std::memcmp(packet + kOptionsAt, run->bytes.data() + kOptionsAt, headers - kIpv6HeaderBytes - kMinTcpHeaderBytes) == 0) {
    std::memcpy(run->bytes.data() + run->used, packet + headers, payload);
    run->used += payload;
    run->next_seq += static_cast<uint32_t>(payload);
    run->packets++;
    if (flags & kTcpPsh) run->bytes[kFlagsAt] |= kTcpPsh;
    run->closed = payload < run->segment || (flags & kTcpPsh) != 0;
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
  run.closed = (packet[kFlagsAt] & kTcpPsh) != 0;
}

// Emits the run and drops it from the active ones, keeping their order.
void TcpCoalescer::Emit(Run& run) {
  uint8_t* bytes = run.bytes.data();
  VnetHeader header;
  if (run.packets == 1) {
    header.flags = VnetHeader::kDataValid;
  } else {
    size_t tcp_length = run.used - kIpv6HeaderBytes;
    Store16(bytes + 4, tcp_length);
    // A partial checksum, as the kernel's GRO leaves it: the pseudo-header's sum, not complemented;
    // the kernel finishes it if the segment is ever sent on rather than taken by a local socket.
    uint16_t partial = ChecksumFold(PseudoHeaderSum(bytes + 8, bytes + 24, static_cast<uint32_t>(tcp_length), kTcpProtocol));
    std::memcpy(bytes + kChecksumAt, &partial, 2);
    header.flags = VnetHeader::kNeedsChecksum;
    header.gso_type = VnetHeader::kGsoTcpV6;
    header.header_length = static_cast<uint16_t>(run.headers);
    header.gso_size = static_cast<uint16_t>(run.segment);
    header.checksum_start = kIpv6HeaderBytes;
    header.checksum_offset = kChecksumAt - kIpv6HeaderBytes;
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
