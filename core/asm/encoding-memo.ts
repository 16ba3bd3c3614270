// The encoder's inputs and answer for each instruction line, kept from one pass to the next. Pass after
// pass most lines hand the encoder the very same request (only code that refers to a label that moved,
// or a branch whose distance changed, asks something new), and the encoder is a pure function of its
// request: an equal request gets the answer it got before, without choosing among the rows again.
// Operands that name no symbol are evaluated once and handed over as the same objects every pass.
import { encodingDependsOnAddress } from './form-index';
import type { EncodeRequest, EncodeResult, ParsedOperand } from './operand';

interface RememberedEncoding {
  request: EncodeRequest;
  result: EncodeResult;
}

export class EncodingMemo {
  /** By the line's index in the assembly. */
  private readonly byLine: (RememberedEncoding | undefined)[];
  private readonly invariantOperandsByLine: (readonly ParsedOperand[] | undefined)[];

  constructor(lineCount: number) {
    this.byLine = new Array<RememberedEncoding | undefined>(lineCount).fill(undefined);
    this.invariantOperandsByLine = new Array<readonly ParsedOperand[] | undefined>(lineCount).fill(undefined);
  }

  /** The line's operands when they are the same in every pass and were evaluated already. */
  invariantOperands(lineIndex: number): readonly ParsedOperand[] | undefined {
    return this.invariantOperandsByLine[lineIndex];
  }

  rememberInvariantOperands(lineIndex: number, operands: readonly ParsedOperand[]): void {
    this.invariantOperandsByLine[lineIndex] = operands;
  }

  /** The answer given to an equal request on this line, if it was asked in an earlier pass. */
  recall(lineIndex: number, request: EncodeRequest): EncodeResult | undefined {
    const remembered = this.byLine[lineIndex];
    if (remembered === undefined || !sameRequest(remembered.request, request)) return undefined;
    if (remembered.request.final === request.final || finalWouldAnswerTheSame(remembered.request, remembered.result)) return remembered.result;
    return undefined;
  }

  remember(lineIndex: number, request: EncodeRequest, result: EncodeResult): void {
    this.byLine[lineIndex] = { request, result };
  }
}

/**
 * An earlier pass's request differs from the final one only in `final`, which changes the encoder's
 * answer in two places: operands not known yet (taken optimistically before the final pass) and a
 * value out of range (given for its length before, an error in the final pass). Without either, the
 * final pass would get the same bytes.
 */
function finalWouldAnswerTheSame(request: EncodeRequest, result: EncodeResult): boolean {
  return result.ok && result.provisional !== true && request.operands.every((operand) => operand.kind === 'reg' || operand.unresolved !== true);
}

/** Equal in everything but `final`. */
function sameRequest(earlier: EncodeRequest, now: EncodeRequest): boolean {
  if (earlier.mnemonic !== now.mnemonic || earlier.bits !== now.bits) return false;
  if (earlier.address !== now.address && encodingDependsOnAddress(now.mnemonic)) return false;
  if (!sameStrings(earlier.prefixes, now.prefixes)) return false;
  if (earlier.operands === now.operands) return true;
  if (earlier.operands.length !== now.operands.length) return false;
  for (let index = 0; index < now.operands.length; index++) if (!sameOperand(earlier.operands[index], now.operands[index])) return false;
  return true;
}

function sameStrings(left: readonly string[], right: readonly string[]): boolean {
  if (left === right) return true;
  if (left.length !== right.length) return false;
  for (let index = 0; index < left.length; index++) if (left[index] !== right[index]) return false;
  return true;
}

/** Every field equal, and no field present on one side only (operands are flat records of numbers and strings). */
function sameOperand(left: ParsedOperand, right: ParsedOperand): boolean {
  if (left === right) return true;
  const leftFields = left as unknown as Readonly<Record<string, unknown>>;
  const rightFields = right as unknown as Readonly<Record<string, unknown>>;
  let leftCount = 0;
  for (const key in leftFields) {
    if (!(key in rightFields) || leftFields[key] !== rightFields[key]) return false;
    leftCount++;
  }
  let rightCount = 0;
  for (const key in rightFields) rightCount++;
  return leftCount === rightCount;
}
