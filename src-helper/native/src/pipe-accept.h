#pragma once
#include <napi.h>

namespace hnet {

// acceptPipeClient(pipeName, sddl, timeoutMs, instance?) -> Promise<{ fd, pid, sid, groups }>
// (Windows) Creates an instance of a named pipe under the security descriptor `sddl` -- "only"
// (default: the single instance of a data pipe), "first" or "another" (of the multi-instance
// control pipe) -- waits for one local client (timeoutMs 0: for ever), and reports who it is:
// the client process's pid and the user and enabled group SIDs of its token, the Windows
// counterpart of peerCredentials. fd is a descriptor of the connected pipe in node.exe's C runtime
// (uv_open_osfhandle), for net.Socket({ fd }). Elsewhere: throws ENOTSUP.
Napi::Value AcceptPipeClient(const Napi::CallbackInfo& info);

}  // namespace hnet
