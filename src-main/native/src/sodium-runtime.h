// libsodium's secretbox and random bytes, found at run time: the addon builds without libsodium's
// headers, and a machine without the library still gets a working addon whose data lane reports
// ENOTSUP (the engine then keeps its JavaScript path).
#pragma once
#include <cstddef>

namespace hnet {

struct Sodium {
  int (*secretbox_easy)(unsigned char* box, const unsigned char* message, unsigned long long message_length,
                        const unsigned char* nonce, const unsigned char* key);
  int (*secretbox_open_easy)(unsigned char* message, const unsigned char* box, unsigned long long box_length,
                             const unsigned char* nonce, const unsigned char* key);
  void (*random_bytes)(void* buffer, size_t size);
};

// Loaded and initialised on the first call; nullptr when no usable libsodium was found (always on
// Windows, where the lane does not exist).
const Sodium* LoadSodium();

}  // namespace hnet
