// Who is calling the helper, once authorise.ts has admitted them: the process as the OS reported it,
// and the client it acts for (a uid; on Windows a SID) that devices and nonces belong to. The
// operations, the device rules (overlay-devices.ts) and the key proof (tun-proof.ts) all take a
// caller; it stands alone because operations.ts imports the other two, which imported this type
// back from operations.ts and closed an import cycle.

export interface Caller {
  pid: number;
  uid: number;
  /** Windows: the caller's user SID; its data pipe admits only this user and pid. */
  sid?: string;
}

/** Windows callers are told apart by SID (their uid is NO_UID); Unix callers by uid. */
export const clientOf = (caller: Caller): string => caller.sid ?? `uid ${caller.uid}`;
