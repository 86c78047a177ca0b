/** Bundles the web UI into <outDir>/index.html, app.js and app.css; resolves with the absolute outDir. */
export declare function buildWeb(outDir?: string): Promise<string>;
