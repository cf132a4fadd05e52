// Where the TUN reader gets packets from and where writes go: a TUN fd on Linux/macOS, which the
// JS thread's event loop watches (PollFd), or a Wintun session on Windows, which a reader thread
// waits on (WaitReadable, Wake). One interface so the batching, hand-over to JS and shutdown logic
// in tun-reader.cc exist once.
#pragma once
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "tun-offload.h"

namespace hnet {

constexpr size_t kMaxPacket = 65535;

// What a device does for us, as TUN_OFFLOADS in dataplane-addon.ts.
enum TunOffload : unsigned {
  // Every packet carries a virtio-net header: large segments can be written (WriteOffloaded).
  kVnetHeader = 1,
  // The kernel hands over TCP (TSO) and UDP (USO) segments of up to 64 KB, which ReadInto cuts.
  kTcpSegments = 2,
  kUdpSegments = 4,
};

struct SourceError {
  int code = 0;             // errno-style, 0 = none
  const char* operation = "";
};

class PacketSource {
 public:
  virtual ~PacketSource() = default;
  // A non-blocking fd the JS thread's event loop can watch, or -1: then a reader thread waits.
  virtual int PollFd() const { return -1; }
  // For the reader thread (sources without a PollFd): blocks until a packet may be readable (true)
  // or Wake() was called / waiting failed (false).
  virtual bool WaitReadable(SourceError&) { return false; }
  // One packet into out (kMaxPacket bytes of room): its length, 0 when none is pending, or -1
  // with error set when the device is gone.
  virtual long ReadPacket(uint8_t* out, SourceError& error) = 0;
  // What one read from the device gives, appended to batch as IP packets (batch has kReadRoom of
  // room and kMaxSplitPackets places): how many, 0 when none is pending, or -1 with error set when
  // the device is gone.
  virtual long ReadInto(PacketBatch& batch, SourceError& error) {
    long n = ReadPacket(batch.Next(), error);
    if (n > 0) batch.Append(static_cast<size_t>(n));
    return n > 0 ? 1 : n;
  }
  // Called from the JS thread to release WaitReadable for shutdown.
  virtual void Wake() {}
  // 0 when written, EAGAIN when the queue is full (packet dropped), else an errno-style code.
  virtual int Write(const uint8_t* packet, size_t length) = 0;
  // As Write, behind the given virtio-net header (a large segment the kernel is to take as many
  // packets); ENOTSUP without kVnetHeader.
  virtual int WriteOffloaded(const VnetHeader&, const uint8_t*, size_t) { return ENOTSUP; }
  // TunOffload bits.
  virtual unsigned Offloads() const { return 0; }
  // Asks the kernel for single packets from now on, and writes single packets only.
  virtual void DisableOffloads() {}
  // Packets read that no header could describe, dropped.
  virtual uint64_t Malformed() const { return 0; }
};

// Takes ownership of fd (Linux/macOS). Throws std::system_error on failure.
std::unique_ptr<PacketSource> OpenFdSource(int fd);
// Creates a Wintun adapter and session (Windows). Throws std::system_error on failure.
std::unique_ptr<PacketSource> OpenWintunSource(const std::string& name);

}  // namespace hnet
