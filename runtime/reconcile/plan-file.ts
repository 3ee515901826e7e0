// `plan -out FILE` / `apply FILE`: a saved plan with the compiled graphs it was made from (for
// verification). Each proxy's part carries the fingerprint of the state it was planned against.
import { readFile, writeFile } from 'node:fs/promises';
import type { ProxyGraph } from '../../compiler/model/graph.ts';
import type { Proxy } from '../../compiler/model/types.ts';
import { PLAN_FORMAT_VERSION, type Plan } from './types.ts';

export interface PlanFile {
  readonly plan: Plan;
  readonly desired: readonly ProxyGraph[];
  /** the inventory, so apply can reach the proxies (admin URL, headers, TLS) without the repo */
  readonly proxies: readonly Proxy[];
}

export async function writePlanFile(path: string, f: PlanFile): Promise<void> {
  await writeFile(path, `${JSON.stringify({ kind: 'l7mp-compile-plan', ...f }, null, 2)}\n`);
}

export class PlanFileError extends Error {}

export async function readPlanFile(path: string): Promise<PlanFile> {
  let doc: any;
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new PlanFileError(`${path} is not a saved plan: ${(e as Error).message}`);
  }
  if (
    doc?.kind !== 'l7mp-compile-plan' ||
    !doc.plan ||
    !Array.isArray(doc.desired) ||
    !Array.isArray(doc.proxies)
  )
    throw new PlanFileError(`${path} is not a saved plan (write one with \`l7mp-compile plan --out FILE\`)`);
  if (doc.plan.format_version !== PLAN_FORMAT_VERSION)
    throw new PlanFileError(
      `${path} has plan format ${doc.plan.format_version}; this l7mp-compile reads ${PLAN_FORMAT_VERSION}`,
    );
  return { plan: doc.plan, desired: doc.desired, proxies: doc.proxies };
}

/** A plan file is recognised by content, so any name works. */
export async function isPlanFile(path: string): Promise<boolean> {
  try {
    const head = (await readFile(path, 'utf8')).slice(0, 200);
    return head.includes('"l7mp-compile-plan"');
  } catch {
    return false;
  }
}
