// A real S3 protocol server per test file (s3rver, on a free port, objects in a temp folder) with one bucket,
// and a client to put and delete objects the way a producer would.
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { tempDir } from './tmp.js';

export interface S3Server {
  endpoint: string;
  bucket: string;
  /** The environment that points orderflow at `s3://bucket/prefix` on this server. */
  env(prefix: string): Record<string, string>;
  put(key: string, body: string | Buffer): Promise<void>;
  remove(key: string): Promise<void>;
  stop(): Promise<void>;
}

const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export async function startS3(bucket = 'orders'): Promise<S3Server> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const dir = await tempDir('orderflow-s3-');
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: dir.path,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: CREDENTIALS,
  });
  return {
    endpoint,
    bucket,
    env: (prefix) => ({
      ORDERFLOW_LANDING: `s3://${bucket}/${prefix}`,
      ORDERFLOW_S3_ENDPOINT: endpoint,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    }),
    put: async (key, body) =>
      void (await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))),
    remove: async (key) => void (await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))),
    stop: async () => {
      client.destroy();
      await server.close();
      await dir.remove();
    },
  };
}
