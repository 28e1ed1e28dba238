// The test S3 server in a process of its own (for the benchmark: a storage server does not share its client's
// process and event loop). Prints one JSON line, {endpoint, bucket, region, credentials, directory}; SIGTERM
// stops it and removes its objects.
import { startS3Server } from './s3-server.ts';

const s3 = await startS3Server();
const { stop, ...running } = s3;
console.log(JSON.stringify(running));
process.once('SIGTERM', () => {
  stop().then(() => process.exit(0), () => process.exit(1));
});
