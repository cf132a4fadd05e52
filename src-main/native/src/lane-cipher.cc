#include "lane-cipher.h"

#include <cstring>

namespace hnet {

namespace {

// JavaScript numbers are exact up to here; the reference refuses larger counters as invalid.
constexpr uint64_t kMaxSafeInteger = (uint64_t{1} << 53) - 1;

void WriteU64(uint8_t* at, uint64_t value) {
  for (size_t i = 0; i < kSeqBytes; i++) at[i] = static_cast<uint8_t>(value >> (8 * i));
}

uint64_t ReadU64(const uint8_t* at) {
  uint64_t value = 0;
  for (size_t i = 0; i < kSeqBytes; i++) value |= uint64_t{at[i]} << (8 * i);
  return value;
}

}  // namespace

int ReplayWindow::Check(uint64_t counter) const {
  if (counter < 1 || counter > kMaxSafeInteger) return kInvalid;
  if (counter > newest_) return 0;
  if (newest_ - counter >= kSize) return kTooOld;
  uint32_t word = words_[(counter / kWordBits) % kWords];
  return (word >> (counter % kWordBits)) & 1 ? kReplayed : 0;
}

void ReplayWindow::Commit(uint64_t counter) {
  if (counter > newest_) {
    uint64_t newest_word = newest_ / kWordBits;
    uint64_t to_clear = counter / kWordBits - newest_word;
    if (to_clear > kWords) to_clear = kWords;
    for (uint64_t i = 1; i <= to_clear; i++) words_[(newest_word + i) % kWords] = 0;
    newest_ = counter;
  }
  words_[(counter / kWordBits) % kWords] |= uint32_t{1} << (counter % kWordBits);
}

LaneCipher::LaneCipher(const Sodium& sodium, const uint8_t* rx, const uint8_t* tx, bool counted)
    : sodium_(sodium), rx_(sodium, rx), tx_(sodium, tx), counted_(counted) {}

size_t LaneCipher::Seal(uint8_t* plain, size_t payload_length, uint8_t* out) {
  sent_++;
  WriteU64(plain, counted_ ? sent_ : 0);
  if (prefix_seals_ == kSealsPerPrefix) {
    sodium_.random_bytes(nonce_, SecretBox::kPrefixBytes);
    prefix_seals_ = 0;
  }
  // Unique under this key: a fresh random prefix, then a count within it (8 bytes, as seq).
  static_assert(kNonceBytes - SecretBox::kPrefixBytes == kSeqBytes, "the count fills the nonce's tail");
  WriteU64(nonce_ + SecretBox::kPrefixBytes, prefix_seals_++);
  out[0] = 0;
  std::memcpy(out + 1, nonce_, kNonceBytes);
  tx_.Seal(out + kDataHeaderBytes, plain, kSeqBytes + payload_length, nonce_);
  return kDataOverhead + payload_length;
}

int LaneCipher::Open(const uint8_t* packet, size_t length, uint8_t* plain, uint64_t& seq) {
  if (length < kDataOverhead + 1 || length > kDataOverhead + kMaxDataPayload || packet[0] != 0) return kBadLength;
  if (!rx_.Open(plain, packet + kDataHeaderBytes, length - kDataHeaderBytes, packet + 1)) return kDecryptFailed;
  seq = ReadU64(plain);
  if (counted_) {
    int verdict = window_.Check(seq);
    if (verdict != 0) return verdict;
  }
  return static_cast<int>(length - kDataOverhead);
}

void LaneCipher::Accept(uint64_t seq) {
  if (counted_) window_.Commit(seq);
  opened_++;
}

}  // namespace hnet
