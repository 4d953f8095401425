// The flags of every command that reads manifests (apply, diff, plan, sync), and turning them into targets.
import { Flags } from '@oclif/core';
import { readManifests } from './manifests.js';
import type { Resources } from './resources.js';
import { applySetId, targets } from './apply.js';
import type { Target } from './apply.js';

export const fileFlags = {
  filename: Flags.string({ char: 'f', description: 'file, directory or - (stdin); repeatable', multiple: true, required: true }),
  recursive: Flags.boolean({ char: 'R', description: 'read directories recursively' }),
  applyset: Flags.string({ description: 'name of the apply set recorded on the objects (default: base name of the first -f)' }),
};

export interface TargetFlags {
  filename: string[];
  recursive: boolean;
  applyset?: string;
  namespace?: string;
}

export function loadTargets(res: Resources, flags: TargetFlags, contextNamespace: string): { targets: Target[]; applySet: string } {
  const applySet = applySetId(flags.applyset, flags.filename);
  const manifests = readManifests(flags.filename, flags.recursive);
  return { targets: targets(manifests, res, { namespace: flags.namespace ?? contextNamespace, explicitNamespace: flags.namespace !== undefined, applySet }), applySet };
}
