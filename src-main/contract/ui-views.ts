// The window's views; the tray can open the window on one of them. No imports, so the renderer
// bundles it without pulling in engine code.
export const uiViews = ['peers', 'whitelist', 'hosts', 'networks', 'server'] as const;
export type UiView = (typeof uiViews)[number];
