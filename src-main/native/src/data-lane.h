#pragma once
#include <napi.h>

#include <memory>

namespace hnet {

class LaneRouter;

// new DataLane(ownAddress): see DataLaneHandle in dataplane-addon.ts. Throws ENOTSUP where
// libsodium cannot be loaded, and on Windows.
void InitDataLane(Napi::Env env, Napi::Object exports);

// The router behind a DataLane object, for useLane: nullptr for null; a TypeError for anything
// that is not a DataLane.
std::shared_ptr<LaneRouter> LaneRouterOf(const Napi::Value& value);

}  // namespace hnet
