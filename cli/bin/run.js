#!/usr/bin/env node
// The hyprbox command: oclif finds the compiled commands in dist/src/commands (package.json "oclif").
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
