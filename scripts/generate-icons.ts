// Draws the tray icons (assets/tray-<connected|connecting|offline>-<light|dark>.png) and the app
// icon (assets/icon.png, and the same shapes as assets/icon.svg). "light"/"dark" name the panel the icon sits on: a dark glyph for a light
// panel and the other way round. Shapes are drawn with 4×4 supersampling for smooth edges, and
// encoded as PNG by hand (zlib + CRC), so no image library is needed.
//   node --import tsx scripts/generate-icons.ts
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import {
  APP_ICON,
  appIconSvg,
  ICON_LINK_WIDTH,
  ICON_NODE_RADIUS,
  ICON_NODES,
} from '../src-shared/app-icon.js';

type Rgba = [number, number, number, number];
/** Coverage of one pixel by a shape, sampled on a grid: x, y in icon units (0..1). */
type Shape = (x: number, y: number) => boolean;

const SAMPLES = 4;

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function encodePng(size: number, pixels: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    rows[y * (size * 4 + 1)] = 0; // filter: none
    Buffer.from(pixels.buffer, y * size * 4, size * 4).copy(rows, y * (size * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', new Uint8Array()),
  ]);
}

/** Paints shapes in order (later on top), each with its colour, at `size` pixels. */
function draw(size: number, layers: [Shape, Rgba][]): Buffer {
  const pixels = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++)
    for (let px = 0; px < size; px++) {
      let [r, g, b, a] = [0, 0, 0, 0];
      for (const [shape, colour] of layers) {
        let hits = 0;
        for (let sy = 0; sy < SAMPLES; sy++)
          for (let sx = 0; sx < SAMPLES; sx++)
            if (shape((px + (sx + 0.5) / SAMPLES) / size, (py + (sy + 0.5) / SAMPLES) / size)) hits++;
        const alpha = (hits / SAMPLES ** 2) * (colour[3] / 255);
        if (alpha === 0) continue;
        // "Over" compositing in straight alpha.
        const out = alpha + a * (1 - alpha);
        r = (colour[0] * alpha + r * a * (1 - alpha)) / out;
        g = (colour[1] * alpha + g * a * (1 - alpha)) / out;
        b = (colour[2] * alpha + b * a * (1 - alpha)) / out;
        a = out;
      }
      pixels.set([Math.round(r), Math.round(g), Math.round(b), Math.round(a * 255)], (py * size + px) * 4);
    }
  return encodePng(size, pixels);
}

const disc =
  (cx: number, cy: number, radius: number): Shape =>
  (x, y) =>
    (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
const ring =
  (cx: number, cy: number, outer: number, inner: number): Shape =>
  (x, y) => {
    const d = (x - cx) ** 2 + (y - cy) ** 2;
    return d <= outer ** 2 && d >= inner ** 2;
  };
const segment =
  (x1: number, y1: number, x2: number, y2: number, width: number): Shape =>
  (x, y) => {
    const dx = x2 - x1;
    const dy = y2 - y1;
    const t = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)));
    return (x - x1 - t * dx) ** 2 + (y - y1 - t * dy) ** 2 <= (width / 2) ** 2;
  };

const nodes = ICON_NODES;
function network(glyph: Rgba, links: 'solid' | 'broken'): [Shape, Rgba][] {
  const layers: [Shape, Rgba][] = [];
  for (let i = 0; i < nodes.length; i++) {
    const [a, b] = [nodes[i]!, nodes[(i + 1) % nodes.length]!];
    if (links === 'solid') layers.push([segment(a[0], a[1], b[0], b[1], ICON_LINK_WIDTH), glyph]);
    else {
      // Offline: each link shows only its two ends, the middle missing.
      const mid = (p: number, q: number, t: number) => p + (q - p) * t;
      layers.push([segment(a[0], a[1], mid(a[0], b[0], 0.3), mid(a[1], b[1], 0.3), ICON_LINK_WIDTH), glyph]);
      layers.push([segment(mid(a[0], b[0], 0.7), mid(a[1], b[1], 0.7), b[0], b[1], ICON_LINK_WIDTH), glyph]);
    }
  }
  for (const [x, y] of nodes) layers.push([disc(x, y, ICON_NODE_RADIUS), glyph]);
  return layers;
}

const states = {
  connected: { badge: [46, 160, 67, 255] as Rgba, links: 'solid' as const },
  connecting: { badge: [210, 153, 34, 255] as Rgba, links: 'solid' as const },
  offline: { badge: undefined, links: 'broken' as const },
};
const panels = { light: [32, 32, 32, 255] as Rgba, dark: [240, 240, 240, 255] as Rgba };

const assets = new URL('../assets/', import.meta.url).pathname;
for (const [state, look] of Object.entries(states))
  for (const [panel, glyph] of Object.entries(panels)) {
    const layers = network(glyph, look.links);
    // A status dot in the lower middle, ringed in the panel's colour so it reads on any glyph.
    if (look.badge)
      layers.push(
        [disc(0.5, 0.62, 0.2), panel === 'light' ? [255, 255, 255, 255] : [24, 24, 24, 255]],
        [disc(0.5, 0.62, 0.15), look.badge],
      );
    for (const [suffix, size] of [
      ['', 32],
      ['@2x', 64],
    ] as const)
      writeFileSync(`${assets}tray-${state}-${panel}${suffix}.png`, draw(size, layers));
  }

const { disc: blue, rim, discRadius, rimInner, glyphScale, glyphX, glyphY } = APP_ICON;
const appLayers: [Shape, Rgba][] = [
  [disc(0.5, 0.5, discRadius), [...blue, 255]],
  [ring(0.5, 0.5, discRadius, rimInner), [...rim, 255]],
  ...network([255, 255, 255, 255], 'solid').map(([shape, colour]): [Shape, Rgba] => [
    (x, y) => shape((x - glyphX) / glyphScale, (y - glyphY) / glyphScale),
    colour,
  ]),
];
writeFileSync(`${assets}icon.png`, draw(512, appLayers));

writeFileSync(`${assets}icon.svg`, appIconSvg());
console.log(`icons written to ${assets}`);
