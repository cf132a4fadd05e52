// Vite hands an imported image over as the URL of the file it emits.
declare module '*.svg' {
  const url: string;
  export default url;
}
