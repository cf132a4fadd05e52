#include "secret-box.h"

#include <algorithm>
#include <cstring>

namespace hnet {

namespace {

constexpr size_t kBlockBytes = 64;
// The Poly1305 key is block 0's first half; the message stream starts at its second.
constexpr size_t kPolyKeyBytes = 32;
constexpr size_t kFirstStreamBytes = kBlockBytes - kPolyKeyBytes;

// Block 0 of the Salsa20 stream of nonce's last 8 bytes under subkey.
void FirstBlock(const Sodium& sodium, uint8_t* block, const uint8_t* nonce, const uint8_t* subkey) {
  sodium.stream_salsa20(block, kBlockBytes, nonce + SecretBox::kPrefixBytes, subkey);
}

// out = in XOR the stream from byte 32 of block 0 on, as crypto_secretbox does.
void Encipher(const Sodium& sodium, uint8_t* out, const uint8_t* in, size_t length, const uint8_t* block,
              const uint8_t* nonce, const uint8_t* subkey) {
  size_t head = std::min(length, kFirstStreamBytes);
  for (size_t i = 0; i < head; i++) out[i] = in[i] ^ block[kPolyKeyBytes + i];
  if (length > head)
    sodium.stream_salsa20_xor_ic(out + head, in + head, length - head, nonce + SecretBox::kPrefixBytes, 1, subkey);
}

}  // namespace

SecretBox::SecretBox(const Sodium& sodium, const uint8_t* key) : sodium_(sodium) {
  std::memcpy(key_, key, kKeyBytes);
}

SecretBox::~SecretBox() {
  sodium_.memzero(key_, kKeyBytes);
  sodium_.memzero(subkey_, kKeyBytes);
}

const uint8_t* SecretBox::SubkeyFor(const uint8_t* nonce, uint8_t* scratch) const {
  if (cached_ && std::memcmp(prefix_, nonce, kPrefixBytes) == 0) return subkey_;
  sodium_.core_hsalsa20(scratch, nonce, key_, nullptr);
  return scratch;
}

void SecretBox::Remember(const uint8_t* nonce, const uint8_t* subkey) {
  if (subkey == subkey_) return;
  std::memcpy(prefix_, nonce, kPrefixBytes);
  std::memcpy(subkey_, subkey, kKeyBytes);
  cached_ = true;
}

void SecretBox::Seal(uint8_t* box, const uint8_t* message, size_t length, const uint8_t* nonce) {
  uint8_t scratch[kKeyBytes];
  uint8_t block[kBlockBytes];
  const uint8_t* subkey = SubkeyFor(nonce, scratch);
  FirstBlock(sodium_, block, nonce, subkey);
  uint8_t* ciphertext = box + kMacBytes;
  Encipher(sodium_, ciphertext, message, length, block, nonce, subkey);
  sodium_.poly1305(box, ciphertext, length, block);
  Remember(nonce, subkey);
  sodium_.memzero(block, kBlockBytes);
  sodium_.memzero(scratch, kKeyBytes);
}

bool SecretBox::Open(uint8_t* message, const uint8_t* box, size_t box_length, const uint8_t* nonce) {
  uint8_t scratch[kKeyBytes];
  uint8_t block[kBlockBytes];
  const uint8_t* subkey = SubkeyFor(nonce, scratch);
  FirstBlock(sodium_, block, nonce, subkey);
  const uint8_t* ciphertext = box + kMacBytes;
  size_t length = box_length - kMacBytes;
  bool authentic = sodium_.poly1305_verify(box, ciphertext, length, block) == 0;
  if (authentic) {
    Encipher(sodium_, message, ciphertext, length, block, nonce, subkey);
    // Only a sender holding the key moves the cache: forged packets cannot make it miss.
    Remember(nonce, subkey);
  }
  sodium_.memzero(block, kBlockBytes);
  sodium_.memzero(scratch, kKeyBytes);
  return authentic;
}

}  // namespace hnet
