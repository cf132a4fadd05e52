// One key epoch of a security session (PROTOCOL.md §3 data packets), shared by the data lane and
// JavaScript so that both seal under one packet counter and open under one replay window.
//
// Data packet: 0x00 ‖ nonce(24) ‖ crypto_secretbox_easy(key, nonce, seq(u64 LE) ‖ payload).
// Callers hand in the plaintext with 8 bytes of room for seq in front of the payload, so the lane
// seals straight from the TUN read buffer and opens straight into its IPv6 rebuild buffer.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

#include "secret-box.h"
#include "sodium-runtime.h"

namespace hnet {

constexpr size_t kKeyBytes = SecretBox::kKeyBytes;
constexpr size_t kNonceBytes = SecretBox::kNonceBytes;
constexpr size_t kMacBytes = SecretBox::kMacBytes;
constexpr size_t kSeqBytes = 8;
constexpr size_t kDataHeaderBytes = 1 + kNonceBytes;
// kind + nonce + MAC + seq.
constexpr size_t kDataOverhead = kDataHeaderBytes + kMacBytes + kSeqBytes;
// Packets of 2000 bytes and more are dropped (PROTOCOL.md §3).
constexpr size_t kMaxDataPayload = 1999 - kDataOverhead;

// Refusals of Open, as LANE_OPEN_REFUSED in dataplane-addon.ts.
enum OpenRefusal : int {
  kBadLength = -1,
  kDecryptFailed = -2,
  kReplayed = -3,
  kTooOld = -4,
  kInvalid = -5,
};

// RFC 6479, as src-protocol/security/replay-window.ts: a ring of 32-bit words, one bit per recent
// counter and one spare word, so that sliding forward clears whole words.
class ReplayWindow {
 public:
  static constexpr uint64_t kSize = 2048;
  // 0 when fresh, else kReplayed, kTooOld or kInvalid.
  int Check(uint64_t counter) const;
  // Records a counter Check called fresh, once its packet authenticated.
  void Commit(uint64_t counter);

 private:
  static constexpr uint64_t kWordBits = 32;
  static constexpr uint64_t kWords = kSize / kWordBits + 1;
  std::array<uint32_t, kWords> words_{};
  uint64_t newest_ = 0;
};

class LaneCipher {
 public:
  LaneCipher(const Sodium& sodium, const uint8_t* rx, const uint8_t* tx, bool counted);
  LaneCipher(const LaneCipher&) = delete;
  LaneCipher& operator=(const LaneCipher&) = delete;

  // plain: kSeqBytes of room, then payload_length bytes of payload (1 to kMaxDataPayload). Writes
  // seq there, then the data packet (payload_length + kDataOverhead bytes) to out.
  size_t Seal(uint8_t* plain, size_t payload_length, uint8_t* out);
  // Opens a data packet into plain (room for length - kDataHeaderBytes - kMacBytes bytes: seq,
  // then the payload) and checks its seq: the payload length, or an OpenRefusal. Nothing is
  // committed until Accept, so a packet can be looked at and still be left to someone else.
  int Open(const uint8_t* packet, size_t length, uint8_t* plain, uint64_t& seq);
  // Commits a packet Open accepted.
  void Accept(uint64_t seq);

  uint64_t sent() const { return sent_; }
  uint64_t opened() const { return opened_; }

 private:
  // Seals under one random nonce prefix (its last 8 bytes counting) this many times before drawing
  // another, so that the receiver's SecretBox makes one subkey per prefix, not per packet. Any
  // prefix keeps nonces unique; drawing anew keeps one from tying together more than a moment of a
  // bulk transfer for someone watching the wire, at one HSalsa20 per end each time.
  static constexpr uint64_t kSealsPerPrefix = 1 << 16;

  const Sodium& sodium_;
  SecretBox rx_;
  SecretBox tx_;
  bool counted_;
  uint64_t sent_ = 0;
  uint64_t opened_ = 0;
  ReplayWindow window_;
  uint8_t nonce_[kNonceBytes] = {};
  uint64_t prefix_seals_ = kSealsPerPrefix;
};

}  // namespace hnet
