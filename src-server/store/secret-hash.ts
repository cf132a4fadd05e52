// Secrets the server only has to recognise (session and API tokens, join codes) are stored as
// SHA-256. They are long random strings, so a slow password hash would add nothing but latency.
import { createHash } from 'node:crypto';

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');
