/** Vite handles CSS imports in the demo pages. */
declare module '*.css';
