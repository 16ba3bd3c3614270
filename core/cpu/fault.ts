// How a handler abandons an instruction: it records the exception on the CPU and throws this one
// preallocated signal (no Error, no stack capture), which the run loop catches and turns into delivery.

export const CPU_FAULT_SIGNAL: { readonly signal: 'cpu-fault' } = Object.freeze({ signal: 'cpu-fault' as const });

export function isCpuFault(value: unknown): boolean {
  return value === CPU_FAULT_SIGNAL;
}

/** No error code is pushed. */
export const NO_ERROR_CODE = -1;
