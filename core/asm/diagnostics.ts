// Diagnostics are values, never exceptions: every problem the assembler finds becomes one of these,
// pointing at the file, line and column a person has to edit.

export type DiagnosticSeverity = 'error' | 'warning';

/** Where something came from: 1-based line and column in a source file. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface Diagnostic extends SourceLocation {
  message: string;
  severity: DiagnosticSeverity;
}

/** `file:line:col: message` (warnings say so, errors are plain as compilers print them). */
export function formatDiagnostic(diagnostic: Diagnostic): string {
  const prefix = `${diagnostic.file}:${diagnostic.line}:${diagnostic.column}: `;
  return diagnostic.severity === 'warning' ? `${prefix}warning: ${diagnostic.message}` : `${prefix}${diagnostic.message}`;
}

/** Collects diagnostics, dropping exact repeats (the same problem seen again in a later pass). */
export class DiagnosticSink {
  readonly diagnostics: Diagnostic[] = [];
  private readonly seen = new Set<string>();

  report(location: SourceLocation, message: string, severity: DiagnosticSeverity = 'error'): void {
    const key = `${location.file}\u0000${location.line}\u0000${location.column}\u0000${severity}\u0000${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.diagnostics.push({ file: location.file, line: location.line, column: location.column, message, severity });
  }

  error(location: SourceLocation, message: string): void {
    this.report(location, message, 'error');
  }

  warning(location: SourceLocation, message: string): void {
    this.report(location, message, 'warning');
  }

  get errorCount(): number {
    return this.diagnostics.filter((diagnostic) => diagnostic.severity === 'error').length;
  }
}
