// The declarations below are libsodium's own (stable since 1.0.0), so any soname with these
// symbols will do: Debian/Ubuntu ship libsodium.so.23, newer distributions libsodium.so.26.
#include "sodium-runtime.h"

#if defined(_WIN32)

namespace hnet {

const Sodium* LoadSodium() { return nullptr; }

}  // namespace hnet

#else

#include <dlfcn.h>

namespace hnet {

namespace {

#if defined(__APPLE__)
constexpr const char* kLibraries[] = {"libsodium.26.dylib", "libsodium.23.dylib", "libsodium.dylib"};
#else
constexpr const char* kLibraries[] = {"libsodium.so.23", "libsodium.so.26", "libsodium.so"};
#endif

template <typename T>
bool Resolve(void* library, const char* name, T& slot) {
  slot = reinterpret_cast<T>(dlsym(library, name));
  return slot != nullptr;
}

const Sodium* Open() {
  for (const char* name : kLibraries) {
    void* library = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) continue;
    static Sodium sodium;
    int (*init)() = nullptr;
    // Kept loaded for the life of the process, as a linked library would be.
    if (Resolve(library, "sodium_init", init) && Resolve(library, "crypto_core_hsalsa20", sodium.core_hsalsa20) &&
        Resolve(library, "crypto_stream_salsa20", sodium.stream_salsa20) &&
        Resolve(library, "crypto_stream_salsa20_xor_ic", sodium.stream_salsa20_xor_ic) &&
        Resolve(library, "crypto_onetimeauth_poly1305", sodium.poly1305) &&
        Resolve(library, "crypto_onetimeauth_poly1305_verify", sodium.poly1305_verify) &&
        Resolve(library, "randombytes_buf", sodium.random_bytes) && Resolve(library, "sodium_memzero", sodium.memzero) &&
        init() >= 0) {
      return &sodium;
    }
    dlclose(library);
  }
  return nullptr;
}

}  // namespace

const Sodium* LoadSodium() {
  // Thread-safe once: worker threads may each load the addon.
  static const Sodium* const loaded = Open();
  return loaded;
}

}  // namespace hnet

#endif
