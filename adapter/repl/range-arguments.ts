// The arguments of WinDbg's dump commands: `ADDRESS [L COUNT]` (`dps nt!KiServiceTable L8`, `db esp L?20`).
import type { EvaluationContext } from '../expression/evaluation-context';
import { evaluateExpression } from '../expression/expression-evaluator';
import type { Radix } from '../expression/number-literal';

export type RangeArguments = { ok: true; address: number | undefined; count: number | undefined } | { ok: false; message: string };

/** Counts above this are refused rather than printed: a typo should not dump a megabyte. */
export const MAX_DUMP_COUNT = 0x10000;

export function parseRangeArguments(text: string, context: EvaluationContext, radix: Radix = 16): RangeArguments {
  const match = /(^|\s)[lL]\??\s*([^\s]+)\s*$/.exec(text);
  const addressText = (match === null ? text : text.slice(0, match.index)).trim();
  let count: number | undefined;
  if (match !== null) {
    const counted = evaluateExpression(match[2], context, { radix });
    if (!counted.ok) return { ok: false, message: `bad count '${match[2]}': ${counted.message}` };
    if (counted.value === 0 || counted.value > MAX_DUMP_COUNT) return { ok: false, message: `count 0x${counted.value.toString(16)} is out of range (1..0x${MAX_DUMP_COUNT.toString(16)})` };
    count = counted.value;
  }
  if (addressText.length === 0) return { ok: true, address: undefined, count };
  const address = evaluateExpression(addressText, context, { radix });
  if (!address.ok) return { ok: false, message: `bad address '${addressText}': ${address.message}` };
  return { ok: true, address: address.value, count };
}
