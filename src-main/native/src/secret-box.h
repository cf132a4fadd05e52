// XSalsa20-Poly1305 in crypto_secretbox_easy's format (MAC ‖ ciphertext), for one key, keeping the
// HSalsa20 subkey of the last nonce prefix it used. XSalsa20 derives a Salsa20 key from the key and
// the nonce's first 16 bytes before every packet (HSalsa20, 4 % of a busy machine's CPU); a sender
// that keeps those 16 bytes for a run of packets, as the lane does, lets both ends skip it. Nonces
// from anyone else (random ones, from a stock daemon) still open: the subkey is then made anew.
//
// The construction is libsodium's own (crypto_secretbox_xsalsa20poly1305), built from its public
// parts: Salsa20 block 0 under the subkey gives the Poly1305 key (bytes 0-31) and the stream for the
// first 32 message bytes (bytes 32-63); the stream continues from block 1.
#pragma once
#include <cstddef>
#include <cstdint>

#include "sodium-runtime.h"

namespace hnet {

class SecretBox {
 public:
  static constexpr size_t kKeyBytes = 32;
  static constexpr size_t kNonceBytes = 24;
  static constexpr size_t kPrefixBytes = 16;
  static constexpr size_t kMacBytes = 16;

  SecretBox(const Sodium& sodium, const uint8_t* key);
  ~SecretBox();
  SecretBox(const SecretBox&) = delete;
  SecretBox& operator=(const SecretBox&) = delete;

  // box: length + kMacBytes bytes, not overlapping message.
  void Seal(uint8_t* box, const uint8_t* message, size_t length, const uint8_t* nonce);
  // message: box_length - kMacBytes bytes, not overlapping box; false (message untouched) when the
  // MAC does not match. box_length must be at least kMacBytes.
  bool Open(uint8_t* message, const uint8_t* box, size_t box_length, const uint8_t* nonce);

 private:
  // The subkey for nonce's prefix: the cached one, else made into scratch.
  const uint8_t* SubkeyFor(const uint8_t* nonce, uint8_t* scratch) const;
  void Remember(const uint8_t* nonce, const uint8_t* subkey);

  const Sodium& sodium_;
  uint8_t key_[kKeyBytes];
  uint8_t prefix_[kPrefixBytes] = {};
  uint8_t subkey_[kKeyBytes] = {};
  bool cached_ = false;
};

}  // namespace hnet
