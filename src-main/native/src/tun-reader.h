#pragma once
#include <napi.h>

namespace hnet {

// new TunReader(device, onBatch(data: ArrayBuffer, ends: Uint32Array), onEnd(error | null))
//   device: a TUN fd (Linux/macOS; the reader owns it from then on) or a Wintun adapter name.
//   .write(packet: Uint8Array) -> false when the kernel queue was full or the reader has ended
//   .close(): stop; onEnd(null) follows once reading has stopped and the device is closed.
//   .useLane(lane | null): packets the data lane takes skip onBatch, and the lane writes to this
//                          device (data-lane.h); ENOTSUP for a Wintun adapter.
void InitTunReader(Napi::Env env, Napi::Object exports);

}  // namespace hnet
