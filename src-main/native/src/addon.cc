// The engine's data-plane addon: what the engine does too slowly in JavaScript on the packet path —
// TUN reads in batches, its UDP socket (batched), and the data lane, which carries established
// direct sessions' packets between TUN and UDP without entering JavaScript — and the socket options
// Node does not offer, for the base connection's liveness. It parses packets, so
// only the unprivileged engine loads it, never the root helper (whose addon is src-helper/native).
// Pure N-API so one build serves both Node and Electron.
#include <napi.h>

#include "data-lane.h"
#include "tcp-liveness.h"
#include "tun-reader.h"
#include "udp-socket.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  hnet::InitTunReader(env, exports);
  hnet::InitUdpSocket(env, exports);
  hnet::InitDataLane(env, exports);
  hnet::InitTcpLiveness(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(hnet_dataplane, Init)
