/**
 * The environment a Lambda runtime gives the handler, pointed at the
 * in-process emulators: endpoints, region and credentials come from
 * variables only, as on AWS.
 */

/** Endpoints of the emulators the handler's SDK clients must reach. */
export interface EmulatorEndpoints {
  readonly s3: string;
  readonly dynamodb: string;
}

/**
 * Sets the variables for `endpoints` plus `vars` on `process.env` (dropping
 * any profile or session token of the machine) and returns a function that
 * puts the previous environment back.
 */
export function applyEmulatorEnv(
  endpoints: EmulatorEndpoints,
  vars: Readonly<Record<string, string>> = {},
): () => void {
  const saved = { ...process.env };
  Object.assign(process.env, {
    ...vars,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  return () => {
    process.env = saved;
  };
}
