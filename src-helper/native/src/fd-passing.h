#pragma once
#include <napi.h>

namespace hnet {

// sendWithFd(socketFd, payload, fdToPass) -> bytes of payload sent (the fd rides on the first).
Napi::Value SendWithFd(const Napi::CallbackInfo& info);

// requestWithFd(socketPath, request, timeoutMs) -> Promise<{ response: Buffer, fd: number }>
// One request per connection: connect, send, read until the helper closes, keeping any fd that
// arrived in SCM_RIGHTS (fd is -1 when none did).
Napi::Value RequestWithFd(const Napi::CallbackInfo& info);

}  // namespace hnet
