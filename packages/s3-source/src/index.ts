export type { S3SourceErrorCode, S3SourceErrorOptions } from './errors.js';
export { S3SourceError } from './errors.js';
export type { ListObjectsOptions, S3ObjectInfo } from './list-objects.js';
export {
  DEFAULT_SUFFIXES,
  listObjectPages,
  listObjects,
  listObjectsOptionsSchema,
  sourceRefOf,
} from './list-objects.js';
export type { OpenedObject, ReadObjectOptions, ReadStats } from './read-object.js';
export { openObject, readObject, readObjectOptionsSchema } from './read-object.js';
