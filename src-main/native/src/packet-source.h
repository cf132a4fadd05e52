// Where the TUN reader gets packets from and where writes go: a TUN fd on Linux/macOS, which the
// JS thread's event loop watches (PollFd), or a Wintun session on Windows, which a reader thread
// waits on (WaitReadable, Wake). One interface so the batching, hand-over to JS and shutdown logic
// in tun-reader.cc exist once.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace hnet {

constexpr size_t kMaxPacket = 65535;

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
  // Called from the JS thread to release WaitReadable for shutdown.
  virtual void Wake() {}
  // 0 when written, EAGAIN when the queue is full (packet dropped), else an errno-style code.
  virtual int Write(const uint8_t* packet, size_t length) = 0;
};

// Takes ownership of fd (Linux/macOS). Throws std::system_error on failure.
std::unique_ptr<PacketSource> OpenFdSource(int fd);
// Creates a Wintun adapter and session (Windows). Throws std::system_error on failure.
std::unique_ptr<PacketSource> OpenWintunSource(const std::string& name);

}  // namespace hnet
