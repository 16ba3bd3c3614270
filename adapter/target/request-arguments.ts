// Checks of a request's arguments, so every wrong one becomes a sentence rather than a throw.
export type ArgumentRecord = Record<string, unknown>;

export class RequestArgumentError extends Error {}

export function argumentRecord(args: unknown, command: string): ArgumentRecord {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new RequestArgumentError(`'${command}' needs an arguments object`);
  return args as ArgumentRecord;
}

export function optionalRecord(args: unknown): ArgumentRecord {
  return args !== null && typeof args === 'object' && !Array.isArray(args) ? args as ArgumentRecord : {};
}

export function requireString(args: ArgumentRecord, name: string): string {
  const value = args[name];
  if (typeof value !== 'string') throw new RequestArgumentError(`'${name}' must be a string${value === undefined ? ' (it is missing)' : ''}`);
  return value;
}

export function optionalString(args: ArgumentRecord, name: string): string | undefined {
  const value = args[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new RequestArgumentError(`'${name}' must be a string`);
  return value;
}

export function requireInteger(args: ArgumentRecord, name: string, minimum = Number.MIN_SAFE_INTEGER, maximum = Number.MAX_SAFE_INTEGER): number {
  const value = args[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new RequestArgumentError(`'${name}' must be a whole number${value === undefined ? ' (it is missing)' : ''}`);
  if (value < minimum || value > maximum) throw new RequestArgumentError(`'${name}' = ${value} is out of range (${minimum}..${maximum})`);
  return value;
}

export function optionalInteger(args: ArgumentRecord, name: string, minimum = Number.MIN_SAFE_INTEGER, maximum = Number.MAX_SAFE_INTEGER): number | undefined {
  if (args[name] === undefined || args[name] === null) return undefined;
  return requireInteger(args, name, minimum, maximum);
}

export function optionalBoolean(args: ArgumentRecord, name: string): boolean | undefined {
  const value = args[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new RequestArgumentError(`'${name}' must be true or false`);
  return value;
}

export function requireArray(args: ArgumentRecord, name: string): unknown[] {
  const value = args[name];
  if (!Array.isArray(value)) throw new RequestArgumentError(`'${name}' must be a list${value === undefined ? ' (it is missing)' : ''}`);
  return value;
}

export function optionalArray(args: ArgumentRecord, name: string): unknown[] | undefined {
  if (args[name] === undefined || args[name] === null) return undefined;
  return requireArray(args, name);
}

/** `0x7c90e4f4`, `7c90e4f4` (hex, as memory references are written) -> a 32-bit address. */
export function parseMemoryReference(text: string): number | undefined {
  const match = /^\s*(?:0x)?([0-9a-f]{1,8})\s*$/i.exec(text);
  return match ? parseInt(match[1], 16) >>> 0 : undefined;
}
