export declare const CHROMIUM_ARGS: string[];
export declare const PATH_NAMES: string[];
export declare const MAC_APPS: string[];
export declare const NOT_FOUND_MESSAGE: string;
export declare function findChromium(options?: { env?: Record<string, string | undefined>; macApps?: string[] }): string | null;
export declare function chromiumPath(): string;
