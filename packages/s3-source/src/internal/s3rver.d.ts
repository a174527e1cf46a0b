// Minimal typings for s3rver 3.7.1, which ships none. Only what testing.ts uses.
declare module 's3rver' {
  import type { Server } from 'node:http';
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: ReadonlyArray<{ name: string; configs?: ReadonlyArray<string | Buffer> }>;
  }

  interface KoaContextLike {
    req: { headers: Record<string, string | string[] | undefined> };
  }

  /** s3rver's filesystem store (lib/stores/filesystem.js): the parts testing.ts adjusts. */
  interface FilesystemStoreLike {
    getResourcePath(bucket: string, key: string, resource: string): string;
    deleteObject(bucket: string, key: string): Promise<void>;
  }

  class S3rver {
    constructor(options?: S3rverOptions);
    store: FilesystemStoreLike;
    /** Koa middleware stack; composed when the server starts listening. */
    middleware: Array<(ctx: KoaContextLike, next: () => Promise<void>) => Promise<void>>;
    httpServer: Server | undefined;
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }

  export default S3rver;
}
