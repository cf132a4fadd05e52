#include "inet-checksum.h"

#include <cstring>

#include "packet-fields.h"

namespace hnet {

namespace {

uint64_t AddCarry(uint64_t sum, uint64_t word) {
  sum += word;
  return sum + (sum < word ? 1 : 0);
}

}  // namespace

uint64_t ChecksumAdd(const uint8_t* data, size_t length, uint64_t sum) {
  // 32-bit words into 64-bit accumulators cannot carry out below 2^32 words, so the loop has no
  // carries to chase, only plain adds; 2^32 is 1 modulo 2^16 - 1, so a sum of 32-bit words folds to
  // the sum of their 16-bit halves.
  uint64_t even = 0;
  uint64_t odd = 0;
  for (; length >= 16; data += 16, length -= 16) {
    uint32_t words[4];
    std::memcpy(words, data, 16);
    even += uint64_t{words[0]} + words[2];
    odd += uint64_t{words[1]} + words[3];
  }
  sum = AddCarry(sum, even);
  sum = AddCarry(sum, odd);
  for (; length >= 4; data += 4, length -= 4) {
    uint32_t word;
    std::memcpy(&word, data, 4);
    sum = AddCarry(sum, word);
  }
  if (length >= 2) {
    uint16_t word;
    std::memcpy(&word, data, 2);
    sum = AddCarry(sum, word);
    data += 2;
    length -= 2;
  }
  if (length == 1) {
    // The odd byte is the high half of a word whose low half is zero, in memory order.
    uint16_t word = 0;
    std::memcpy(&word, data, 1);
    sum = AddCarry(sum, word);
  }
  return sum;
}

uint64_t PseudoHeaderSum(const uint8_t* source, const uint8_t* destination, uint32_t length, uint8_t protocol) {
  const uint8_t tail[8] = {static_cast<uint8_t>(length >> 24), static_cast<uint8_t>(length >> 16),
                           static_cast<uint8_t>(length >> 8),  static_cast<uint8_t>(length),
                           0, 0, 0, protocol};
  uint64_t sum = ChecksumAdd(source, 16, 0);
  sum = ChecksumAdd(destination, 16, sum);
  return ChecksumAdd(tail, sizeof tail, sum);
}

uint16_t ChecksumFold(uint64_t sum) {
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

void WriteLayer4Checksum(uint8_t* packet, size_t l4, size_t length, uint8_t protocol, size_t checksum_at) {
  uint8_t* field = packet + l4 + checksum_at;
  field[0] = 0;
  field[1] = 0;
  uint32_t l4_length = static_cast<uint32_t>(length - l4);
  uint64_t sum = PseudoHeaderSum(packet + 8, packet + 24, l4_length, protocol);
  uint16_t checksum = static_cast<uint16_t>(~ChecksumFold(ChecksumAdd(packet + l4, l4_length, sum)));
  // UDP sends all ones for a sum of zero: zero there means "no checksum" (RFC 768).
  if (checksum == 0 && protocol == kUdpProtocol) checksum = 0xffff;
  std::memcpy(field, &checksum, 2);
}

bool Layer4ChecksumValid(const uint8_t* packet, size_t l4, size_t length, uint8_t protocol) {
  uint32_t l4_length = static_cast<uint32_t>(length - l4);
  uint64_t sum = PseudoHeaderSum(packet + 8, packet + 24, l4_length, protocol);
  return ChecksumFold(ChecksumAdd(packet + l4, l4_length, sum)) == 0xffff;
}

}  // namespace hnet
