// Watches the adapter's messages for `stopped` / `continued` so the views follow the machine.
import * as vscode from 'vscode';
import type { NtViews } from './views/nt-views';

/** Requests after which the machine runs, whether or not the adapter sends `continued`. */
const RESUMING_COMMANDS: ReadonlySet<string> = new Set(['continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue', 'goto']);

function field(message: unknown, key: string): unknown {
  return typeof message === 'object' && message !== null ? (message as Record<string, unknown>)[key] : undefined;
}

function isEvent(message: unknown, name: string): boolean {
  return field(message, 'type') === 'event' && field(message, 'event') === name;
}

/** The stopped event's `description` and `text`, where the adapter says which gate it went through. */
function stopDescription(message: unknown): string | undefined {
  const body = field(message, 'body');
  const parts = [field(body, 'description'), field(body, 'text')].filter((part): part is string => typeof part === 'string');
  return parts.length === 0 ? undefined : parts.join(' ');
}

/** A stackTrace request for the frames from the top (later pages start deeper). */
function isTopStackTraceRequest(message: unknown): boolean {
  const startFrame = field(field(message, 'arguments'), 'startFrame');
  return field(message, 'type') === 'request' && field(message, 'command') === 'stackTrace' && (startFrame === undefined || startFrame === 0);
}

/** The first frame's name in a successful stackTrace response. */
function topFrameName(message: unknown): string | undefined {
  if (field(message, 'type') !== 'response' || field(message, 'command') !== 'stackTrace' || field(message, 'success') !== true) return undefined;
  const frames = field(field(message, 'body'), 'stackFrames');
  const name = Array.isArray(frames) ? field(frames[0], 'name') : undefined;
  return typeof name === 'string' ? name : undefined;
}

function isResumingRequest(message: unknown): boolean {
  const command = field(message, 'command');
  return field(message, 'type') === 'request' && typeof command === 'string' && RESUMING_COMMANDS.has(command);
}

export class StopTrackerFactory implements vscode.DebugAdapterTrackerFactory {
  constructor(private readonly views: NtViews) {}

  createDebugAdapterTracker(session: vscode.DebugSession): vscode.DebugAdapterTracker {
    const views = this.views;
    const topStackTraceRequests = new Set<unknown>();
    return {
      onDidSendMessage(message: unknown): void {
        if (isEvent(message, 'stopped')) views.onStopped(session, stopDescription(message));
        else if (isEvent(message, 'continued')) views.onContinued(session);
        else if (isEvent(message, 'invalidated') || isEvent(message, 'memory')) views.onStateInvalidated(session);
        else if (topStackTraceRequests.delete(field(message, 'request_seq'))) {
          const frameName = topFrameName(message);
          if (frameName !== undefined) views.onTopFrame(session, frameName);
        }
      },
      onWillReceiveMessage(message: unknown): void {
        if (isResumingRequest(message)) views.onContinued(session);
        else if (isTopStackTraceRequest(message)) topStackTraceRequests.add(field(message, 'seq'));
      },
      onWillStopSession(): void {
        views.onSessionEnded(session);
      },
      onExit(): void {
        views.onSessionEnded(session);
      },
    };
  }
}
