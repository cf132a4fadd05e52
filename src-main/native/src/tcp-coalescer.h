// The receiving half of the segment offloads: TCP packets the lane opens during one batch of
// datagrams are joined, per connection, into segments of up to 64 KB written to the TUN device
// with a virtio-net header (the kernel's own GRO does this for a NIC). The kernel's TCP then
// handles one segment, and the engine makes one write, where it would have for forty-odd packets.
//
// Only what GRO would join is joined: IPv6 straight to TCP, consecutive sequence numbers, the same
// acknowledgement, window and options, plain ACK (PSH may end a run), payloads of one size (a
// shorter one ends the run), each packet's checksum verified first. Everything else (other
// protocols, SYN, FIN, RST, URG, ECN marks, pure ACKs, a bad checksum) goes out as it came, after
// what is pending for its connection, so that no connection's packets are reordered. Nothing is
// held beyond the batch: Flush is called when the batch is through.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tun-offload.h"

namespace hnet {

class CoalescedSink {
 public:
  virtual ~CoalescedSink() = default;
  // One packet, or a joined segment described by header; packets: how many it carries.
  virtual void Emit(const VnetHeader& header, const uint8_t* packet, size_t length, unsigned packets) = 0;
};

class TcpCoalescer {
 public:
  explicit TcpCoalescer(CoalescedSink& sink) : sink_(sink) {}
  TcpCoalescer(const TcpCoalescer&) = delete;
  TcpCoalescer& operator=(const TcpCoalescer&) = delete;

  // An IPv6 packet, copied if kept.
  void Add(const uint8_t* packet, size_t length);
  // Emits everything kept, oldest first.
  void Flush();

 private:
  static constexpr size_t kRuns = 8;
  static constexpr size_t kMaxBytes = 65535;

  struct Run {
    std::vector<uint8_t> bytes;  // the first packet's headers, then every payload
    size_t used = 0;
    size_t headers = 0;          // IPv6 + TCP header
    size_t segment = 0;          // payload of each packet but the last
    uint32_t next_seq = 0;
    unsigned packets = 0;
    bool closed = false;         // a shorter payload or PSH ended it
  };

  Run* Find(const uint8_t* packet);
  void Emit(Run& run);
  void Start(Run& run, const uint8_t* packet, size_t length, size_t headers);

  CoalescedSink& sink_;
  std::array<Run, kRuns> runs_;
  // runs_[0 .. active_) hold packets, oldest first.
  size_t active_ = 0;
};

}  // namespace hnet
