// Copies non-TypeScript assets (proto files) next to the compiled output.
import { cpSync } from 'node:fs';

cpSync('libs/contracts/src/proto', 'dist/libs/contracts/src/proto', { recursive: true });
