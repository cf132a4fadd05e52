#include "echo-timer.h"

#include <algorithm>
#include <chrono>

namespace hnet {

namespace {

constexpr uint8_t kIcmpv6 = 58;
constexpr uint8_t kEchoRequest = 128;
constexpr uint8_t kEchoReply = 129;
// Type, code, checksum, identifier, sequence number (RFC 4443 §4.1).
constexpr size_t kEchoHeaderBytes = 8;

// The identifier and sequence number of an echo of `type`, as one number; -1 for anything else.
int64_t EchoKey(uint8_t next_header, const uint8_t* payload, size_t length, uint8_t type) {
  if (next_header != kIcmpv6 || length < kEchoHeaderBytes || payload[0] != type) return -1;
  return int64_t{payload[4]} << 24 | int64_t{payload[5]} << 16 | int64_t{payload[6]} << 8 | payload[7];
}

double NowMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

void EchoTimer::Sent(uint8_t next_header, const uint8_t* payload, size_t length) {
  int64_t key = EchoKey(next_header, payload, length, kEchoRequest);
  if (key < 0) return;
  keys_[next_] = key;
  sent_at_[next_] = NowMs();
  next_ = (next_ + 1) % kOutstanding;
}

void EchoTimer::Answered(uint8_t next_header, const uint8_t* payload, size_t length) {
  int64_t key = EchoKey(next_header, payload, length, kEchoReply);
  if (key < 0) return;
  auto slot = std::find(keys_.begin(), keys_.end(), key);
  if (slot == keys_.end()) return;
  *slot = -1;
  double round_trip = NowMs() - sent_at_[static_cast<size_t>(slot - keys_.begin())];
  // Full between looks: the oldest goes, as the engine keeps only recent ones anyway.
  if (count_ == kKept) {
    std::copy(round_trips_.begin() + 1, round_trips_.end(), round_trips_.begin());
    count_--;
  }
  round_trips_[count_++] = round_trip;
}

size_t EchoTimer::Take(double* out, size_t room) {
  // The newest, when out has room for fewer.
  size_t taken = std::min(room, count_);
  std::copy(round_trips_.begin() + (count_ - taken), round_trips_.begin() + count_, out);
  count_ = 0;
  return taken;
}

}  // namespace hnet
