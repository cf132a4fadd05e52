// watchTcpLiveness: short keepalive and a limit on unacknowledged data for one TCP socket.
#pragma once

#include <napi.h>

namespace hnet {

void InitTcpLiveness(Napi::Env env, Napi::Object exports);

}  // namespace hnet
