#pragma once
#include <napi.h>

namespace hnet {

// openTun(name) -> { fd, name }. Linux: /dev/net/tun, IFF_TUN | IFF_NO_PI, a new device of that
// name (EBUSY if one exists).
// macOS: a utun control socket; the kernel picks the unit unless name is "utunN".
Napi::Value OpenTun(const Napi::CallbackInfo& info);

}  // namespace hnet
