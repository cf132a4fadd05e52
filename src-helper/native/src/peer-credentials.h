#pragma once
#include <napi.h>

namespace hnet {

// peerCredentials(fd) -> { pid, uid, gid, groups }
Napi::Value PeerCredentials(const Napi::CallbackInfo& info);

}  // namespace hnet
