// Errors thrown to JS carry the errno name in `code`, so TypeScript callers branch on a kind
// (EBUSY, EAGAIN, EPERM…) instead of parsing messages.
#pragma once
#include <napi.h>

namespace hnet {

[[noreturn]] void ThrowErrno(Napi::Env env, const char* operation, int err);
[[noreturn]] void ThrowUnsupported(Napi::Env env, const char* operation);
const char* ErrnoName(int err);

}  // namespace hnet
