import type { BurrowApp } from '../core/app.ts';
import { squirrelApp } from './squirrel/index.ts';
import { webmacsApp } from './webmacs/index.ts';

/** Every app burrow can serve, in the order they mount. `BURROW_APPS` selects among them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const availableApps: readonly BurrowApp<any>[] = [squirrelApp, webmacsApp];
