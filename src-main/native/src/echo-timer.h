// Round trips of the pings users send a peer through the lane, as engine/paths/echo-timer.ts keeps
// them for the packets JavaScript carries (why: there). The request is stamped as the lane reads it
// from TUN, its reply as the lane opens it; the engine takes the round trips at its next look.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

namespace hnet {

class EchoTimer {
 public:
  // Requests remembered at once, and round trips kept between two looks of the engine.
  static constexpr size_t kOutstanding = 8;
  static constexpr size_t kKept = 16;

  // A tunnel packet's next header and payload on their way to the peer: remembered when an echo request.
  void Sent(uint8_t next_header, const uint8_t* payload, size_t length);
  // The same from the peer: a round trip when it answers a remembered request, once.
  void Answered(uint8_t next_header, const uint8_t* payload, size_t length);
  // Round trips (ms) since the last call, oldest first, into out: how many.
  size_t Take(double* out, size_t room);

 private:
  std::array<int64_t, kOutstanding> keys_ = Unset();
  std::array<double, kOutstanding> sent_at_{};
  size_t next_ = 0;
  std::array<double, kKept> round_trips_{};
  size_t count_ = 0;

  static std::array<int64_t, kOutstanding> Unset() {
    std::array<int64_t, kOutstanding> keys{};
    keys.fill(-1);
    return keys;
  }
};

}  // namespace hnet
