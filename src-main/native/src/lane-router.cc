#include "lane-router.h"

#if !defined(_WIN32)

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace hnet {

namespace {

// PROTOCOL.md §2: P2P DATA = 0x02 ‖ security packet.
constexpr uint8_t kP2pData = 0x02;
constexpr size_t kP2pFraming = 1;
// PROTOCOL.md §5, over UDP without further framing: peer → base DATA = 0x01 ‖ own id ‖ peer id ‖
// security packet; base → peer DATA = 0x02 ‖ source id ‖ security packet.
constexpr uint8_t kToBaseData = 0x01;
constexpr uint8_t kFromBaseData = 0x02;
constexpr size_t kToBaseFraming = 1 + 2 * kAddressBytes;
constexpr size_t kFromBaseFraming = 1 + kAddressBytes;
// The base frames a message in fewer than 1995 bytes (as over TCP), so it refuses longer DATA.
constexpr size_t kMaxToBaseData = 1994;
// Where seq ‖ nextHeader ‖ payload starts so that the payload sits right after a 40-byte header.
constexpr size_t kPlainAt = kIpv6HeaderBytes - 1 - kSeqBytes;
// PROTOCOL.md §3: heartbeat ping 0x04 ‖ ident(8), answered in clear by 0x05 ‖ the same ident.
constexpr uint8_t kHeartbeatPing = 0x04;
constexpr uint8_t kHeartbeatReply = 0x05;
constexpr size_t kHeartbeatBytes = 9;

}  // namespace

LaneRouter::LaneRouter(const uint8_t* own_address) { std::memcpy(own_.data(), own_address, kAddressBytes); }

void LaneRouter::SetRoute(LaneRoute route) {
  LaneRoute* existing = FindRoute(route.peer.data());
  if (existing != nullptr)
    *existing = std::move(route);
  else
    routes_.push_back(std::move(route));
}

void LaneRouter::Forget(const uint8_t* peer) {
  LaneRoute* existing = FindRoute(peer);
  if (existing == nullptr) return;
  if (existing != &routes_.back()) *existing = std::move(routes_.back());
  routes_.pop_back();
}

void LaneRouter::SetRelay(BaseRelay relay) {
  if (relay.target)
    relay_ = std::move(relay);
  else
    relay_ = {};
}

const LaneRoute* LaneRouter::Find(const uint8_t* peer) const {
  return const_cast<LaneRouter*>(this)->FindRoute(peer);
}

size_t LaneRouter::TakeEchoRoundTrips(const uint8_t* peer, double* out, size_t room) {
  LaneRoute* route = FindRoute(peer);
  return route == nullptr ? 0 : route->echoes.Take(out, room);
}

// Peers with a direct session are few: a scan of 16-byte keys beats hashing them.
LaneRoute* LaneRouter::FindRoute(const uint8_t* peer) {
  for (LaneRoute& route : routes_) {
    if (std::memcmp(route.peer.data(), peer, kAddressBytes) == 0) return &route;
  }
  return nullptr;
}

LaneRoute* LaneRouter::FindBySource(const SourceKey& source, size_t& index) {
  for (LaneRoute& route : routes_) {
    int found = route.sources.IndexOf(source);
    if (found >= 0) {
      index = static_cast<size_t>(found);
      return &route;
    }
  }
  return nullptr;
}

void LaneRouter::AttachUdp(const void* owner, int fd, int family) {
  queue_.Clear();
  udp_owner_ = owner;
  udp_fd_ = fd;
  udp_family_ = family;
}

void LaneRouter::DetachUdp(const void* owner) {
  if (udp_owner_ != owner) return;
  queue_.Clear();
  udp_owner_ = nullptr;
  udp_fd_ = -1;
}

void LaneRouter::AttachTun(const void* owner, PacketSource* device) {
  FlushReceived();
  tun_owner_ = owner;
  tun_ = device;
  joins_refused_ = false;
}

void LaneRouter::DetachTun(const void* owner) {
  if (tun_owner_ != owner) return;
  FlushReceived();
  tun_owner_ = nullptr;
  tun_ = nullptr;
}

bool LaneRouter::TakeDatagram(const uint8_t* datagram, size_t length, const struct sockaddr_storage& from) {
  if (tun_ == nullptr || routes_.empty() || length < 2) return false;
  SourceKey source;
  WriteSource(from, source.data());
  // Base DATA has P2P DATA's kind number: what a base endpoint sends is read as base DATA only.
  if (relay_.sources.IndexOf(source) >= 0) return TakeRelayed(datagram, length);
  if (datagram[0] != kP2pData) return false;
  size_t source_index = 0;
  LaneRoute* route = FindBySource(source, source_index);
  if (route == nullptr) return false;
  const uint8_t* packet = datagram + kP2pFraming;
  size_t packet_length = length - kP2pFraming;
  return AnswerHeartbeat(*route, packet, packet_length) ||
         Deliver(*route, packet, packet_length, &route->from_source[source_index]);
}

// Taken whether or not the route is relayed: the peer may reach us only through the base while we
// reach it directly.
bool LaneRouter::TakeRelayed(const uint8_t* datagram, size_t length) {
  if (length <= kFromBaseFraming || datagram[0] != kFromBaseData) return false;
  LaneRoute* route = FindRoute(datagram + 1);
  if (route == nullptr) return false;
  const uint8_t* packet = datagram + kFromBaseFraming;
  size_t packet_length = length - kFromBaseFraming;
  return AnswerHeartbeat(*route, packet, packet_length) || Deliver(*route, packet, packet_length, nullptr);
}

bool LaneRouter::AnswerHeartbeat(const LaneRoute& route, const uint8_t* packet, size_t length) {
  if (length != kHeartbeatBytes || packet[0] != kHeartbeatPing || udp_fd_ < 0) return false;
  size_t framing = 0;
  // The reply takes the peer's route, as every packet JavaScript sends it does.
  const SendTarget* target = TargetOf(route, 0, framing);
  if (target == nullptr || target->address.ss_family != udp_family_) return false;
  std::array<uint8_t, kToBaseFraming + kHeartbeatBytes> reply{};
  if (framing == kP2pFraming) {
    reply[0] = kP2pData;
  } else {
    reply[0] = kToBaseData;
    std::memcpy(reply.data() + 1, own_.data(), kAddressBytes);
    std::memcpy(reply.data() + 1 + kAddressBytes, route.peer.data(), kAddressBytes);
  }
  reply[framing] = kHeartbeatReply;
  std::memcpy(reply.data() + framing + 1, packet + 1, kHeartbeatBytes - 1);
  ssize_t sent = 0;
  do {
    sent = sendto(udp_fd_, reply.data(), framing + kHeartbeatBytes, 0,
                  reinterpret_cast<const struct sockaddr*>(&target->address), target->length);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) CountSendError(errno);
  return true;
}

bool LaneRouter::Deliver(LaneRoute& route, const uint8_t* packet, size_t length, uint64_t* from_source) {
  uint8_t* plain = rebuild_.data() + kPlainAt;
  uint64_t seq = 0;
  int opened = route.cipher->Open(packet, length, plain, seq);
  // Another key (a handshake just replaced this one) or no data packet: JavaScript decides.
  if (opened == kBadLength || opened == kDecryptFailed) return false;
  if (opened < 0) {
    stats_[kReplayedDropped]++;
    return true;
  }
  const uint8_t* tunnel = plain + kSeqBytes;
  size_t tunnel_length = static_cast<size_t>(opened);
  // Multicast, or nothing to deliver: JavaScript opens it again and handles or counts it, and the
  // window commits only then.
  if (!IsUnicastTunnelPacket(tunnel, tunnel_length)) return false;
  route.cipher->Accept(seq);
  size_t payload_length = tunnel_length - 1;
  route.echoes.Answered(tunnel[0], tunnel + 1, payload_length);
  WriteRebuiltHeader(rebuild_.data(), tunnel[0], payload_length, route.peer.data(), own_.data());
  size_t packet_length = kIpv6HeaderBytes + payload_length;
  route.packets_received++;
  route.bytes_received += packet_length;
  if (from_source != nullptr) (*from_source)++;
  if (Joining())
    coalescer_.Add(rebuild_.data(), packet_length);
  else
    Emit(VnetHeader{}, rebuild_.data(), packet_length, 1);
  return true;
}

void LaneRouter::FlushReceived() { coalescer_.Flush(); }

void LaneRouter::Emit(const VnetHeader& header, const uint8_t* packet, size_t length, unsigned packets) {
  bool described = header.flags != 0 || header.gso_type != VnetHeader::kGsoNone;
  int err = tun_ == nullptr ? EBADF
            : described    ? tun_->WriteOffloaded(header, packet, length)
                           : tun_->Write(packet, length);
  if (err != 0) {
    stats_[kTunWriteFailed] += packets;
    // A kernel that will not take joined segments gets single packets from now on; TCP resends these.
    if (packets > 1 && err != EAGAIN) joins_refused_ = true;
    return;
  }
  if (packets > 1) stats_[kTunJoinedWrites]++;
  stats_[kTunPacketsWritten] += packets;
  // As the packets were: each with its own headers.
  stats_[kTunBytesWritten] += length + (packets - 1) * header.header_length;
}

bool LaneRouter::TakeTunPacket(uint8_t* packet, size_t length) {
  if (udp_fd_ < 0 || routes_.empty()) return false;
  const uint8_t* destination = UnicastDestination(packet, length, own_.data());
  if (destination == nullptr) return false;
  size_t tunnel_length = length - kIpv6HeaderBytes + 1;
  if (tunnel_length > kMaxDataPayload) return false;
  LaneRoute* route = FindRoute(destination);
  if (route == nullptr) return false;
  size_t framing = 0;
  const SendTarget* target = TargetOf(*route, tunnel_length, framing);
  if (target == nullptr || target->address.ss_family != udp_family_) return false;
  route->echoes.Sent(packet[6], packet + kIpv6HeaderBytes, length - kIpv6HeaderBytes);
  // seq ‖ nextHeader ‖ payload, in place over the header this packet no longer needs.
  uint8_t* plain = packet + kPlainAt;
  plain[kSeqBytes] = packet[6];
  uint8_t* slot = queue_.Slot();
  if (framing == kP2pFraming) {
    slot[0] = kP2pData;
  } else {
    slot[0] = kToBaseData;
    std::memcpy(slot + 1, own_.data(), kAddressBytes);
    std::memcpy(slot + 1 + kAddressBytes, route->peer.data(), kAddressBytes);
  }
  size_t sealed = route->cipher->Seal(plain, tunnel_length, slot + framing);
  queue_.Push(slot, framing + sealed, *target);
  route->packets_sent++;
  route->bytes_sent += length;
  stats_[kTunPacketsRead]++;
  stats_[kTunBytesRead] += length;
  if (queue_.full()) Flush();
  return true;
}

const SendTarget* LaneRouter::TargetOf(const LaneRoute& route, size_t tunnel_length, size_t& framing) const {
  if (route.target) {
    framing = kP2pFraming;
    return &*route.target;
  }
  if (!route.relayed || !relay_.target || kToBaseFraming + kDataOverhead + tunnel_length > kMaxToBaseData)
    return nullptr;
  framing = kToBaseFraming;
  return &*relay_.target;
}

void LaneRouter::Flush() {
  if (queue_.empty()) return;
  DatagramQueue::Sent sent = queue_.Flush(udp_fd_);
  stats_[kUdpSegmentedSends] += sent.segmented;
  stats_[kUdpSendQueueFull] += sent.queue_full;
  stats_[kUdpSendFailed] += sent.failed;
}

void LaneRouter::CountSendError(int err) {
  bool queue_full = err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS;
  stats_[queue_full ? kUdpSendQueueFull : kUdpSendFailed]++;
}

}  // namespace hnet

#endif
