// Creating the TUN device. Only the helper (root) calls this; the engine receives the fd.
#include "tun-open.h"

#include "errors.h"

#include <cerrno>
#include <cstring>
#include <string>

#if defined(__linux__)
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>
#elif defined(__APPLE__)
#include <fcntl.h>
#include <net/if_utun.h>
#include <sys/ioctl.h>
#include <sys/kern_control.h>
#include <sys/socket.h>
#include <sys/sys_domain.h>
#include <unistd.h>
#endif

namespace hnet {

namespace {

#if defined(__linux__)

Napi::Object OpenPlatformTun(Napi::Env env, const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    throw Napi::RangeError::New(env, "TUN name must be 1 to 15 characters");
  }
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) ThrowErrno(env, "open(/dev/net/tun)", errno);
  struct ifreq ifr {};
  // IFF_TUN_EXCL: fail with EBUSY rather than attach to an existing device of the same name,
  // which could be another VPN's persistent TUN. IFF_VNET_HDR: every packet carries a virtio-net
  // header, so that the engine (which holds the fd) can take the kernel's large TCP and UDP
  // segments; it chooses the offloads itself (fd-source.cc) and reads the flag back.
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_TUN_EXCL | IFF_VNET_HDR;
  std::memcpy(ifr.ifr_name, name.c_str(), name.size());
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
    int err = errno;
    close(fd);
    ThrowErrno(env, "ioctl(TUNSETIFF)", err);
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("fd", Napi::Number::New(env, fd));
  result.Set("name", Napi::String::New(env, ifr.ifr_name));
  return result;
}

#elif defined(__APPLE__)

// Untested: written against the utun kernel-control API; CI has no macOS.
Napi::Object OpenPlatformTun(Napi::Env env, const std::string& name) {
  unsigned unit = 0;  // 0 = let the kernel choose
  if (name.rfind("utun", 0) == 0 && name.size() > 4) unit = std::stoul(name.substr(4)) + 1;
  int fd = socket(PF_SYSTEM, SOCK_DGRAM, SYSPROTO_CONTROL);
  if (fd < 0) ThrowErrno(env, "socket(PF_SYSTEM)", errno);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  struct ctl_info info {};
  std::strncpy(info.ctl_name, UTUN_CONTROL_NAME, sizeof(info.ctl_name) - 1);
  if (ioctl(fd, CTLIOCGINFO, &info) != 0) {
    int err = errno;
    close(fd);
    ThrowErrno(env, "ioctl(CTLIOCGINFO)", err);
  }
  struct sockaddr_ctl addr {};
  addr.sc_len = sizeof(addr);
  addr.sc_family = AF_SYSTEM;
  addr.ss_sysaddr = AF_SYS_CONTROL;
  addr.sc_id = info.ctl_id;
  addr.sc_unit = unit;
  if (connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    close(fd);
    ThrowErrno(env, "connect(utun)", err);
  }
  char ifname[IFNAMSIZ] = {};
  socklen_t len = sizeof(ifname);
  if (getsockopt(fd, SYSPROTO_CONTROL, UTUN_OPT_IFNAME, ifname, &len) != 0) {
    int err = errno;
    close(fd);
    ThrowErrno(env, "getsockopt(UTUN_OPT_IFNAME)", err);
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("fd", Napi::Number::New(env, fd));
  result.Set("name", Napi::String::New(env, ifname));
  return result;
}

#else

// Windows has no TUN fd: the helper drives a Wintun session itself (see wintun.cc) and packets
// cross the helper pipe.
Napi::Object OpenPlatformTun(Napi::Env env, const std::string&) { ThrowUnsupported(env, "openTun"); }

#endif

}  // namespace

Napi::Value OpenTun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    throw Napi::TypeError::New(env, "openTun expects an interface name");
  }
  return OpenPlatformTun(env, info[0].As<Napi::String>().Utf8Value());
}

}  // namespace hnet
