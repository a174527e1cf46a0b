/**
 * Synthetic dataset generator: songs (Spotify tracks shape), users and
 * stream files with skew and dirty rows, to disk or S3.
 */
export type { Manifest, ManifestFile } from './generate-dataset.js';
export { generateDataset, MANIFEST_FILE } from './generate-dataset.js';
export type { SongsStats } from './internal/songs.js';
export type { DirtyKind, StreamStats } from './internal/streams.js';
export { DIRTY_KINDS } from './internal/streams.js';
export type { GenerateOptions, ResolvedGenerateOptions } from './options.js';
export { generateOptionsSchema } from './options.js';
export type { UploadDirectoryOptions, UploadedObject } from './upload-directory.js';
export { uploadDirectory, uploadDirectoryOptionsSchema } from './upload-directory.js';
