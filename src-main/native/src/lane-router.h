// The data lane's packet path: per peer, which cipher seals and opens its DATA, where to send it
// (directly, or through the base server's UDP relay) and which sources may send it; then TUN →
// peer (compress, seal, P2P DATA or base DATA, batched sends) and peer → TUN (authenticate the
// source, open, rebuild, write) for the packets it fully handles.
// Whatever it does not take is left to JavaScript untouched, so the lane never changes a
// packet's fate, only how fast it goes.
//
// Runs on the JS thread only, called by the UDP socket and the TUN reader it is attached to; they
// hold the router (shared_ptr) and detach themselves before their fd or device goes away, so the
// router never sees a dangling one, whatever order sockets, readers and lanes are closed or
// collected in.
#pragma once
#if !defined(_WIN32)

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "datagram-queue.h"
#include "echo-timer.h"
#include "lane-cipher.h"
#include "lane-endpoints.h"
#include "packet-source.h"
#include "socket-address.h"
#include "tcp-coalescer.h"
#include "tunnel-codec.h"

namespace hnet {

// As LANE_STATS in dataplane-addon.ts.
enum LaneStat : size_t {
  kTunPacketsRead,
  kTunBytesRead,
  kTunPacketsWritten,
  kTunBytesWritten,
  kReplayedDropped,
  kTunWriteFailed,
  kUdpSendQueueFull,
  kUdpSendFailed,
  // Sends that carried several datagrams (UDP GSO), and TUN writes that carried several packets.
  kUdpSegmentedSends,
  kTunJoinedWrites,
  kLaneStatCount,
};

struct LaneRoute {
  std::array<uint8_t, kAddressBytes> peer{};
  std::shared_ptr<LaneCipher> cipher;
  std::optional<SendTarget> target;
  // Without a target: send through the base's UDP relay, while the lane has one.
  bool relayed = false;
  SourceSet sources;
  // As LANE_PEER_COUNTERS, then packets received per source.
  uint64_t packets_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t packets_received = 0;
  uint64_t bytes_received = 0;
  std::array<uint64_t, SourceSet::kMax> from_source{};
  // The pings to this peer the lane carried, and their round trips.
  EchoTimer echoes;
};

// The base server's UDP relay (PROTOCOL.md §5): where base DATA goes, and the endpoints base DATA
// may come from. No target: no relay, and no sources either.
struct BaseRelay {
  std::optional<SendTarget> target;
  SourceSet sources;
};

class LaneRouter : private CoalescedSink {
 public:
  explicit LaneRouter(const uint8_t* own_address);
  LaneRouter(const LaneRouter&) = delete;
  LaneRouter& operator=(const LaneRouter&) = delete;

  // Replaces the peer's route (and resets its counters).
  void SetRoute(LaneRoute route);
  void Forget(const uint8_t* peer);
  const LaneRoute* Find(const uint8_t* peer) const;
  // The round trips of the pings the lane carried to the peer since the last call (EchoTimer::Take);
  // 0 when it has no route.
  size_t TakeEchoRoundTrips(const uint8_t* peer, double* out, size_t room);
  // Replaces the base relay; one without a target keeps no sources.
  void SetRelay(BaseRelay relay);
  const std::array<uint64_t, kLaneStatCount>& stats() const { return stats_; }
  // True while sends carry runs of datagrams (UDP GSO): until the kernel refuses one.
  bool segmenting() const { return queue_.segmenting(); }
  void StopSegmenting() { queue_.StopSegmenting(); }

  // owner: whoever attached, so that a socket or reader replaced since does not detach its successor.
  void AttachUdp(const void* owner, int fd, int family);
  void DetachUdp(const void* owner);
  void AttachTun(const void* owner, PacketSource* device);
  void DetachTun(const void* owner);

  // A datagram received on the attached socket (a peer's P2P DATA from one of its sources, or base
  // DATA from a relay source): true when the lane took it (for TUN, dropped as a replay, or a
  // heartbeat ping it answered), false to leave it to JavaScript. Call FlushReceived once the
  // batch is through: what is for TUN may wait until then, to be joined with what follows.
  bool TakeDatagram(const uint8_t* datagram, size_t length, const struct sockaddr_storage& from);
  void FlushReceived();
  // A packet read from TUN: true when the lane took it (queued for sending; its bytes are then
  // overwritten), false to leave it to JavaScript. Call Flush once the batch is through.
  bool TakeTunPacket(uint8_t* packet, size_t length);
  // Sends what TakeTunPacket queued.
  void Flush();

 private:
  LaneRoute* FindRoute(const uint8_t* peer);
  LaneRoute* FindBySource(const SourceKey& source, size_t& index);
  // Base DATA from a relay source: true when taken, as TakeDatagram.
  bool TakeRelayed(const uint8_t* datagram, size_t length);
  // A heartbeat ping in the peer's security packet is answered at once, the way JavaScript would
  // answer it, so its round trip is the path's and not a wake-up of JavaScript: true when answered.
  bool AnswerHeartbeat(const LaneRoute& route, const uint8_t* packet, size_t length);
  // Opens the peer's security packet and writes the rebuilt IPv6 packet to TUN: true when taken.
  // from_source: the count of the source it came by, nullptr when the base relayed it.
  bool Deliver(LaneRoute& route, const uint8_t* packet, size_t length, uint64_t* from_source);
  // Where a tunnel packet of this length to the route's peer goes, and how many bytes of framing
  // precede its security packet there; nullptr when the lane cannot send it.
  const SendTarget* TargetOf(const LaneRoute& route, size_t tunnel_length, size_t& framing) const;
  void CountSendError(int err);
  // Whether the device takes joined segments (its offloads can be switched off at any time).
  bool Joining() const { return tun_ != nullptr && !joins_refused_ && (tun_->Offloads() & kVnetHeader) != 0; }
  // CoalescedSink: a packet, or joined ones, to TUN.
  void Emit(const VnetHeader& header, const uint8_t* packet, size_t length, unsigned packets) override;

  std::array<uint8_t, kAddressBytes> own_;
  std::vector<LaneRoute> routes_;
  BaseRelay relay_;
  std::array<uint64_t, kLaneStatCount> stats_{};

  const void* udp_owner_ = nullptr;
  int udp_fd_ = -1;
  int udp_family_ = 0;
  const void* tun_owner_ = nullptr;
  PacketSource* tun_ = nullptr;

  // The IPv6 packet being rebuilt: opened so that its payload lands right after the header.
  std::array<uint8_t, kIpv6HeaderBytes + kMaxDataPayload> rebuild_{};
  // Datagrams sealed from one TUN batch, sent together.
  DatagramQueue queue_;
  // Packets opened from one batch of datagrams, joined for TUN where the device takes large segments.
  TcpCoalescer coalescer_{*this};
  bool joins_refused_ = false;
};

}  // namespace hnet

#endif
