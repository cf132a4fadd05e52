// hnet's icon, declared once: three nodes joined in a triangle (a small overlay network), white on a
// disc of the accent colour (design-tokens.ts). scripts/generate-icons.ts draws the PNGs Electron and
// the tray need from these numbers; the SVG below is the browser tab's icon and the pages' logo.
// Pure: no I/O, so the renderer and the dashboard may use it too.

/** The nodes, in icon units (0..1). */
export const ICON_NODES: readonly (readonly [number, number])[] = [
  [0.5, 0.2],
  [0.2, 0.75],
  [0.8, 0.75],
];
export const ICON_LINK_WIDTH = 0.09;
export const ICON_NODE_RADIUS = 0.14;

/** The app icon's disc, its rim, and where the network sits on it (scale, then offset). */
export const APP_ICON = {
  disc: [11, 107, 203],
  rim: [8, 80, 160],
  discRadius: 0.48,
  rimInner: 0.45,
  glyphScale: 0.64,
  glyphX: 0.18,
  glyphY: 0.16,
} as const;

const hex = (rgb: readonly number[]): string =>
  `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;

/** The app icon as SVG, 512 units square. */
export function appIconSvg(): string {
  const size = 512;
  const { glyphScale, glyphX, glyphY } = APP_ICON;
  const n = (v: number): number => +(v * size).toFixed(2);
  const at = ([x, y]: readonly [number, number]) => [n(glyphX + x * glyphScale), n(glyphY + y * glyphScale)];
  const links = ICON_NODES.map((a, i) => {
    const [x1, y1] = at(a);
    const [x2, y2] = at(ICON_NODES[(i + 1) % ICON_NODES.length]!);
    return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"/>`;
  }).join('');
  const dots = ICON_NODES.map((node) => {
    const [cx, cy] = at(node);
    return `<circle cx="${cx}" cy="${cy}" r="${n(ICON_NODE_RADIUS * glyphScale)}"/>`;
  }).join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}">`,
    `<title>hnet</title>`,
    `<circle cx="${size / 2}" cy="${size / 2}" r="${n(APP_ICON.discRadius)}" fill="${hex(APP_ICON.rim)}"/>`,
    `<circle cx="${size / 2}" cy="${size / 2}" r="${n(APP_ICON.rimInner)}" fill="${hex(APP_ICON.disc)}"/>`,
    `<g stroke="#ffffff" stroke-width="${n(ICON_LINK_WIDTH * glyphScale)}" stroke-linecap="round">${links}</g>`,
    `<g fill="#ffffff">${dots}</g>`,
    '</svg>',
    '',
  ].join('\n');
}
