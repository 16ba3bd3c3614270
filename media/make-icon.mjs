// Draws media/icon.png (128x128): protection rings 3..0 with an arrow diving into ring 0 — the system call.
// Run: node media/make-icon.mjs. No dependencies: a tiny PNG writer over zlib.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const SIZE = 128;
const pixels = new Float64Array(SIZE * SIZE * 4);

function blend(x, y, [r, g, b], coverage) {
  if (coverage <= 0) return;
  const i = (y * SIZE + x) * 4;
  const a = Math.min(1, coverage);
  pixels[i] = pixels[i] * (1 - a) + r * a;
  pixels[i + 1] = pixels[i + 1] * (1 - a) + g * a;
  pixels[i + 2] = pixels[i + 2] * (1 - a) + b * a;
  pixels[i + 3] = pixels[i + 3] * (1 - a) + 255 * a;
}

/** Paints where the signed distance is negative, anti-aliased over one pixel. */
function paint(distance, color) {
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      blend(x, y, color, 0.5 - distance(x + 0.5, y + 0.5));
    }
  }
}

const roundedSquare = (inset, radius) => (x, y) => {
  const qx = Math.abs(x - SIZE / 2) - (SIZE / 2 - inset - radius);
  const qy = Math.abs(y - SIZE / 2) - (SIZE / 2 - inset - radius);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius;
};
const ring = (cx, cy, radius, width) => (x, y) => Math.abs(Math.hypot(x - cx, y - cy) - radius) - width / 2;
const disc = (cx, cy, radius) => (x, y) => Math.hypot(x - cx, y - cy) - radius;
const segment = (ax, ay, bx, by, width) => (x, y) => {
  const t = Math.max(0, Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)));
  return Math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay))) - width / 2;
};
// For a convex polygon the largest signed edge distance is exact inside and close enough outside.
const triangle = (points) => (x, y) => {
  let distance = -Infinity;
  for (let k = 0; k < 3; k++) {
    const [ax, ay] = points[k];
    const [bx, by] = points[(k + 1) % 3];
    distance = Math.max(distance, ((by - ay) * (x - ax) - (bx - ax) * (y - ay)) / Math.hypot(bx - ax, by - ay));
  }
  return distance;
};

const center = 64;
const ringY = 74;
paint(roundedSquare(2, 22), [30, 42, 58]);
paint(ring(center, ringY, 44, 5), [90, 110, 135]);   // ring 3
paint(ring(center, ringY, 31, 5), [125, 150, 180]);  // ring 2/1, unused by NT
paint(disc(center, ringY, 18), [230, 140, 40]);      // ring 0
paint(segment(center, 10, center, ringY - 16, 9), [255, 255, 255]);
paint(triangle([[center - 14, ringY - 26], [center + 14, ringY - 26], [center, ringY - 6]]), [255, 255, 255]);

function crc32(bytes) {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xEDB88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header[8] = 8;  // bit depth
header[9] = 6;  // RGBA
const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y++) {
  for (let x = 0; x < SIZE * 4; x++) raw[y * (SIZE * 4 + 1) + 1 + x] = Math.round(pixels[y * SIZE * 4 + x]);
}
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
  chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(new URL('./icon.png', import.meta.url), png);
