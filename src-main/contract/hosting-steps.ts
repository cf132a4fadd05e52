// The steps of "Host a server on this machine", in order. No imports, so the renderer bundles it
// without pulling in engine code (as ui-views.ts).
export const hostingSteps = ['address', 'starting', 'switching'] as const;
export type HostingStep = (typeof hostingSteps)[number];
