// The parts of libsodium the data lane uses, found at run time: the addon builds without
// libsodium's headers, and a machine without the library still gets a working addon whose data
// lane reports ENOTSUP (the engine then keeps its JavaScript path).
#pragma once
#include <cstddef>
#include <cstdint>

namespace hnet {

struct Sodium {
  int (*core_hsalsa20)(unsigned char* out, const unsigned char* in, const unsigned char* key,
                       const unsigned char* constant);
  int (*stream_salsa20)(unsigned char* stream, unsigned long long length, const unsigned char* nonce,
                        const unsigned char* key);
  int (*stream_salsa20_xor_ic)(unsigned char* out, const unsigned char* in, unsigned long long length,
                               const unsigned char* nonce, uint64_t block, const unsigned char* key);
  int (*poly1305)(unsigned char* mac, const unsigned char* in, unsigned long long length, const unsigned char* key);
  int (*poly1305_verify)(const unsigned char* mac, const unsigned char* in, unsigned long long length,
                         const unsigned char* key);
  void (*random_bytes)(void* buffer, size_t size);
  void (*memzero)(void* buffer, size_t size);
};

// Loaded and initialised on the first call; nullptr when no usable libsodium was found (always on
// Windows, where the lane does not exist).
const Sodium* LoadSodium();

}  // namespace hnet
