#include "errors.h"

#include <cerrno>
#include <cstring>
#include <string>

namespace hnet {

const char* ErrnoName(int err) {
  switch (err) {
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case EBUSY: return "EBUSY";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case EEXIST: return "EEXIST";
    case EINTR: return "EINTR";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case EMSGSIZE: return "EMSGSIZE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENODEV: return "ENODEV";
    case ENOENT: return "ENOENT";
    case ENOMEM: return "ENOMEM";
    case ENOSPC: return "ENOSPC";
    case ENOTSOCK: return "ENOTSOCK";
    case ENXIO: return "ENXIO";
    case EPERM: return "EPERM";
    case EPIPE: return "EPIPE";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENOTSUP: return "ENOTSUP";
#if defined(EBADFD)
    case EBADFD: return "EBADFD";
#endif
    default: return "EUNKNOWN";
  }
}

void ThrowErrno(Napi::Env env, const char* operation, int err) {
  std::string message = std::string(operation) + " failed: " + std::strerror(err);
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, ErrnoName(err)));
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, operation));
  throw error;
}

void ThrowUnsupported(Napi::Env env, const char* operation) {
  Napi::Error error =
      Napi::Error::New(env, std::string(operation) + " is not supported on this platform");
  error.Set("code", Napi::String::New(env, "ENOTSUP"));
  throw error;
}

}  // namespace hnet
