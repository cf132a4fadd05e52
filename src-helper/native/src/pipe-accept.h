#pragma once
#include <napi.h>

namespace hnet {

// acceptPipeClient(pipeName, sddl, timeoutMs) -> Promise<{ fd, pid, sid, groups }>  (Windows)
// Creates the one and only instance of a named pipe under the security descriptor `sddl`, waits
// for one local client, and reports who it is: the client process's pid and the user and enabled
// group SIDs of its token, the Windows counterpart of peerCredentials. fd is a CRT descriptor of
// the connected pipe, for net.Socket({ fd }). Elsewhere: throws ENOTSUP.
Napi::Value AcceptPipeClient(const Napi::CallbackInfo& info);

}  // namespace hnet
