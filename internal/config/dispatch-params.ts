/**
 * The dispatch parameter set every dispatcher runs with (live worker and MDRPLIB replay alike): the tuned defaults of
 * internal/dispatch/params.ts, overlaid by a JSON file (`DISPATCH_PARAMS_FILE`, as `npm run tune -- --write` writes it)
 * and then by inline JSON (`DISPATCH_PARAMS`). Parsed by zod: a wrong or unknown field stops start-up with its path.
 *
 * File format: `{ "name": "tuned-2026-12-02", "params": { "batchCapacity": 3, "scoring": { "floor": null }, … } }` —
 * `params` may name any subset of the fields; the rest keep their defaults.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import {
  DEFAULT_DISPATCH_PARAMS,
  resolveDispatchParams,
  type DispatchParams,
  type DispatchParamsInput,
} from '../dispatch/params.ts';
import { AppError } from '../platform/errors.ts';

/** The active set, as /health and the logs name it. */
export interface DispatchParamSet {
  /** `defaults`, or the file's `name` (its base name if it has none); overlays append `+<label>`. */
  readonly name: string;
  /** Where it came from: `built-in` or the file path, then ` + DISPATCH_PARAMS` and other overlays' labels. */
  readonly source: string;
  /** First 12 hex digits of the SHA-256 of the resolved parameters (canonical JSON): equal hash = same behaviour. */
  readonly hash: string;
  readonly params: DispatchParams;
}

const seconds = z.number().finite().nonnegative();
const weights = z
  .object({
    base: z.number().finite(),
    slackRewardPerMinute: z.number().finite(),
    slackRewardCap: z.number().finite(),
    latePenaltyPerMinute: z.number().finite(),
    distancePenaltyPerKm: z.number().finite(),
    etaPenaltyPerMinute: z.number().finite(),
    floor: z.number().finite().nullable(),
  })
  .partial()
  .strict();

/** Every field of DispatchParamsInput, each optional; unknown fields are refused (a typo must not be ignored). */
export const dispatchParamsInputSchema = z
  .object({
    h3Resolution: z.number().int().min(0).max(15),
    corridorRings: z.number().int().nonnegative(),
    batchCapacity: z.number().int().min(1),
    waitWindowSeconds: seconds,
    maxDetourSeconds: seconds,
    maxBundleDelaySeconds: seconds,
    latenessToleranceSeconds: seconds,
    sealLeadSeconds: seconds,
    service: z
      .object({
        pickupBeforeSeconds: seconds,
        pickupAfterSeconds: seconds,
        dropBeforeSeconds: seconds,
        dropAfterSeconds: seconds,
      })
      .partial()
      .strict(),
    latePenaltyWeight: z.number().finite().nonnegative(),
    candidateRiders: z.number().int().min(1),
    horizonSeconds: seconds,
    commitSlackSeconds: z.number().finite(),
    dueLookaheadSeconds: seconds,
    urgencyPerMinute: z.number().finite().nonnegative(),
    scarcityWindowSeconds: seconds,
    scarcityThreshold: z.number().finite().nonnegative(),
    scarceBundleDelaySeconds: seconds,
    scoreSunkWait: z.boolean(),
    matching: z.enum(['hungarian', 'greedy']),
    scoring: weights,
    scarceScoring: weights,
  })
  .partial()
  .strict() satisfies z.ZodType<DispatchParamsInput>;

const fileSchema = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    params: dispatchParamsInputSchema,
  })
  .strict();

export class DispatchParamsError extends Error {
  override name = 'DispatchParamsError';
}

/** `path.to.field: message` per issue (an unknown key is reported on its parent, so the message names the key). */
const zodProblems = (error: z.ZodError) =>
  error.issues
    .map((i) => (i.path.length === 0 ? i.message : `${i.path.map(String).join('.')}: ${i.message}`))
    .join('; ');

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DispatchParamsError(`${where}: not JSON (${(error as Error).message})`);
  }
}

/** Parses a parameter file's text (`where` names it in errors). */
export function parseDispatchParamsFile(
  text: string,
  where: string,
): { name: string | undefined; input: DispatchParamsInput } {
  const parsed = fileSchema.safeParse(parseJson(text, where));
  if (!parsed.success) throw new DispatchParamsError(`${where}: ${zodProblems(parsed.error)}`);
  return { name: parsed.data.name, input: parsed.data.params as DispatchParamsInput };
}

/** Parses inline overrides (the `DISPATCH_PARAMS` variable: the `params` object alone). */
export function parseDispatchParamsInput(text: string, where: string): DispatchParamsInput {
  const parsed = dispatchParamsInputSchema.safeParse(parseJson(text, where));
  if (!parsed.success) throw new DispatchParamsError(`${where}: ${zodProblems(parsed.error)}`);
  return parsed.data as DispatchParamsInput;
}

/** Canonical JSON (keys sorted at every level), so the hash does not depend on field order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function dispatchParamsHash(params: DispatchParams): string {
  return createHash('sha256').update(canonical(params)).digest('hex').slice(0, 12);
}

/** The built-in defaults as a set. */
export function defaultDispatchParamSet(): DispatchParamSet {
  return {
    name: 'defaults',
    source: 'built-in',
    hash: dispatchParamsHash(DEFAULT_DISPATCH_PARAMS),
    params: DEFAULT_DISPATCH_PARAMS,
  };
}

/**
 * `base` overlaid with `input` (nested objects merge field by field) under a new name and source. Values the dispatcher
 * would refuse (resolveDispatchParams) become a DispatchParamsError naming the field.
 */
function overlay(base: DispatchParams, input: DispatchParamsInput, name: string, source: string): DispatchParamSet {
  let params: DispatchParams;
  try {
    params = resolveDispatchParams({
      ...base,
      ...input,
      service: { ...base.service, ...input.service },
      scoring: { ...base.scoring, ...input.scoring },
      scarceScoring: { ...base.scarceScoring, ...input.scarceScoring },
    });
  } catch (error) {
    if (error instanceof AppError) throw new DispatchParamsError(`${source}: ${error.message}`);
    throw error;
  }
  return { name, source, hash: dispatchParamsHash(params), params };
}

/** `set` with `input` on top (a caller's overrides, e.g. the demo city's), named `<name>+<label>`; `set` itself when `input` is empty. */
export function withDispatchOverrides(
  set: DispatchParamSet,
  input: DispatchParamsInput,
  label: string,
): DispatchParamSet {
  if (Object.keys(input).length === 0) return set;
  return overlay(set.params, input, `${set.name}+${label}`, `${set.source} + ${label}`);
}

/**
 * The set from a file (`DISPATCH_PARAMS_FILE`) and/or inline overrides (`DISPATCH_PARAMS`), over the defaults.
 * `readText` is injectable for tests.
 */
export function loadDispatchParamSet(
  options: { file?: string | undefined; inline?: string | undefined },
  readText: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): DispatchParamSet {
  let set = defaultDispatchParamSet();
  if (options.file) {
    let text: string;
    try {
      text = readText(options.file);
    } catch (error) {
      throw new DispatchParamsError(`DISPATCH_PARAMS_FILE ${options.file}: cannot read (${(error as Error).message})`);
    }
    const { name, input } = parseDispatchParamsFile(text, `DISPATCH_PARAMS_FILE ${options.file}`);
    set = overlay(set.params, input, name ?? basename(options.file, '.json'), options.file);
  }
  if (options.inline)
    set = withDispatchOverrides(set, parseDispatchParamsInput(options.inline, 'DISPATCH_PARAMS'), 'DISPATCH_PARAMS');
  return set;
}

/** A parameter file's text, as `npm run tune -- --write` saves it: the full resolved set, so it does not drift with the defaults. */
export function formatDispatchParamsFile(name: string, params: DispatchParams): string {
  return `${JSON.stringify({ name, params }, null, 2)}\n`;
}
