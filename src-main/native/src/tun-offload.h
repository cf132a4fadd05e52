// What a TUN device opened with IFF_VNET_HDR puts in front of every packet (struct virtio_net_hdr,
// linux/virtio_net.h), and turning what the kernel hands over with it into ordinary IP packets.
//
// With TSO and USO on, the kernel gives the engine one TCP or UDP segment of up to 64 KB where it
// would have given forty-odd packets of the device's MTU, and leaves its checksum for us to finish:
// one read instead of forty, and the kernel's TCP stack handles one large segment instead of many.
// SplitOffloaded cuts it back into the packets it stands for, exactly as the kernel would have sent
// them, so that every later step (the lane, JavaScript, a stock peer) sees the same packets as before.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hnet {

constexpr size_t kVnetHeaderBytes = 10;

// Host byte order: the kernel's legacy virtio header is native-endian.
struct VnetHeader {
  static constexpr uint8_t kNeedsChecksum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
  static constexpr uint8_t kDataValid = 2;      // VIRTIO_NET_HDR_F_DATA_VALID
  static constexpr uint8_t kGsoNone = 0;
  static constexpr uint8_t kGsoTcpV4 = 1;
  static constexpr uint8_t kGsoUdp = 3;
  static constexpr uint8_t kGsoTcpV6 = 4;
  static constexpr uint8_t kGsoUdpL4 = 5;
  static constexpr uint8_t kGsoEcn = 0x80;

  uint8_t flags = 0;
  uint8_t gso_type = kGsoNone;
  uint16_t header_length = 0;
  uint16_t gso_size = 0;
  uint16_t checksum_start = 0;
  uint16_t checksum_offset = 0;

  static VnetHeader Read(const uint8_t* bytes);
  void Write(uint8_t* bytes) const;
};

// A split never adds more than this many packets, nor more than this many bytes.
constexpr size_t kMaxSplitPackets = 256;
constexpr size_t kMaxSplitBytes = 2 * 65536;
// What the kernel hands over at most: a 64 KB segment and its IPv6 header.
constexpr size_t kMaxSegment = 65536 + 40;
// Room a read from the device needs in a batch: the segment as read, past where its pieces go.
constexpr size_t kReadRoom = kMaxSplitBytes + kMaxSegment;

// Packets read from the device, back to back, and where each ends. Whoever fills it checks Room()
// (kReadRoom) before a read; the read may add many packets (a split segment).
struct PacketBatch {
  static constexpr size_t kBytes = 1024 * 1024;
  // Reading stops once this many are in (a flood must not keep the event loop from the socket);
  // the last read may still add a whole split segment.
  static constexpr size_t kDrainPackets = 256;
  static constexpr size_t kMaxPackets = kDrainPackets + kMaxSplitPackets;

  std::vector<uint8_t> data = std::vector<uint8_t>(kBytes);
  std::vector<uint32_t> ends;
  size_t used = 0;

  PacketBatch() { ends.reserve(kMaxPackets); }
  size_t Room() const { return data.size() - used; }
  uint8_t* Next() { return data.data() + used; }
  void Append(size_t length) {
    used += length;
    ends.push_back(static_cast<uint32_t>(used));
  }
};

enum class SplitOutcome {
  kDone,
  // Not a packet the header can describe (the kernel never sends one): dropped, counted.
  kMalformed,
};

// Appends to out the IP packets that packet (length bytes after its virtio header, as read) stands
// for: itself with its checksum finished, or the MTU-sized TCP or UDP segments cut out of a large
// one, each with its own lengths, sequence number, flags and checksum. out must have kMaxSplitBytes
// of room and kMaxSplitPackets places, which packet must not overlap unless it needs no cutting
// (then it may sit anywhere after out.Next()). packet's own bytes may be changed.
SplitOutcome SplitOffloaded(const VnetHeader& header, uint8_t* packet, size_t length, PacketBatch& out);

}  // namespace hnet
