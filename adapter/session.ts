// The Debug Adapter Protocol session: translates requests into calls on the NT debug target and the
// target's events into DAP events. It holds no CPU logic (STYLE.md 2); every wrong request gets an
// error response with a sentence, and nothing a client sends may throw out of it.
import * as fs from 'fs';
import * as path from 'path';
import {
  Breakpoint, ExitedEvent, Handles, InitializedEvent, InvalidatedEvent, LoggingDebugSession, MemoryEvent, OutputEvent,
  Scope, Source, StackFrame as DapStackFrame, StoppedEvent, TerminatedEvent, Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { completeExpression } from './expression/expression-completions';
import { evaluateExpression, type ValueReference } from './expression/expression-evaluator';
import { composeRegisterWrite } from './expression/registers';
import { REPL_COMMAND_NAMES, runReplCommand } from './repl/command-dispatcher';
import { EXCEPTION_FILTERS, isExceptionFilterId, parseVectorList, type ExceptionFilterId } from './target/exception-filters';
import { NtDebugTarget, type TargetStop } from './target/debug-target';
import { Disassembler } from './target/disassembly';
import { parseLaunchSettings, LaunchSettingsError, type LaunchSettings } from './target/launch-settings';
import { littleEndianBytes, readLinearBytes, writeLinearBytes, writeRegister } from './target/machine-access';
import { buildNtSystem } from './target/nt-system-builder';
import { replEnvironmentOf } from './target/repl-environment';
import {
  argumentRecord, optionalArray, optionalBoolean, optionalInteger, optionalRecord, optionalString, parseMemoryReference,
  requireArray, requireInteger, requireString, RequestArgumentError, type ArgumentRecord,
} from './target/request-arguments';
import type { StackFrame } from './target/call-stack';
import { SystemViews } from './target/system-views';
import { hexValue, SCOPE_NAMES, VariableTreeBuilder, type ScopeName, type VariableNode } from './target/variable-tree';

const THREAD_ID = 1;
const CONFIGURATION_WAIT_MS = 10_000;
const MAX_MEMORY_REQUEST = 1 << 20;
const MAX_DISASSEMBLY = 4096;
const ERROR_ID = 3000;
/** Requests the base class would answer with a silent success although nothing happens. */
const UNSUPPORTED_COMMANDS: ReadonlySet<string> = new Set(['attach', 'restartFrame', 'goto', 'gotoTargets', 'stepBack', 'reverseContinue', 'stepInTargets', 'terminateThreads', 'breakpointLocations', 'cancel']);
const WATCH_ACCESS: Readonly<Record<string, 'read' | 'write' | 'access'>> = { read: 'read', write: 'write', readWrite: 'access' };

type VariableContainer = { kind: 'scope'; scope: ScopeName } | { kind: 'node'; node: VariableNode } | { kind: 'caller'; frameIndex: number };

/** A request the session refuses, with the sentence the user sees. */
class RequestRefused extends Error {}

function refuse(message: string): never {
  throw new RequestRefused(message);
}

export class NtSyscallDebugSession extends LoggingDebugSession {
  private target: NtDebugTarget | undefined;
  private settings: LaunchSettings | undefined;
  private ended = false;
  private launching = false;
  private configurationDone: (() => void) | undefined;
  private configured = false;
  private variableHandles = new Handles<VariableContainer>();
  private frames: StackFrame[] | undefined;
  // Remembered so a restart re-applies them.
  private readonly sourceBreakpoints = new Map<string, ArgumentRecord>();
  private functionBreakpoints: ArgumentRecord | undefined;
  private instructionBreakpoints: ArgumentRecord | undefined;
  private dataBreakpoints: ArgumentRecord | undefined;
  private exceptionBreakpoints: ArgumentRecord | undefined;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    // The base class shuts the process down on any 'error' event, a malformed message included:
    // only a broken stream should end the adapter.
    this.removeAllListeners('error');
    this.on('error', (event: { body?: unknown }) => {
      const text = typeof event?.body === 'string' ? event.body : String(event?.body);
      if (text.startsWith('Error handling data')) process.stderr.write(`ntsyscall dap: ignored a malformed message (${text})\n`);
      else this.shutdown();
    });
  }

  // ------------------------------------------------------------------ plumbing

  /** Every request passes here: malformed ones are answered, thrown errors become error responses. */
  protected override dispatchRequest(request: DebugProtocol.Request): void {
    if (request === null || typeof request !== 'object' || typeof request.command !== 'string' || request.command.length === 0) {
      const response: DebugProtocol.Response = {
        type: 'response', seq: 0, request_seq: typeof request?.seq === 'number' ? request.seq : 0, success: false,
        command: typeof request?.command === 'string' ? request.command : '', message: 'a request needs a command name',
      };
      this.sendResponse(response);
      return;
    }
    if (request.command === 'initialize' && (request.arguments === null || typeof request.arguments !== 'object' || Array.isArray(request.arguments))) {
      this.sendResponse(this.failure(request, new Error("'initialize' needs an arguments object (adapterID, linesStartAt1, ...)")));
      return;
    }
    if (UNSUPPORTED_COMMANDS.has(request.command)) {
      this.sendResponse(this.failure(request, new Error(`'${request.command}' is not supported by the NT System Call Debugger${request.command === 'attach' ? ': use launch' : ''}`)));
      return;
    }
    try {
      super.dispatchRequest(request);
    } catch (error) {
      this.sendResponse(this.failure(request, error));
    }
  }

  private failure(request: DebugProtocol.Request, error: unknown): DebugProtocol.Response {
    const message = error instanceof Error ? error.message : String(error);
    return {
      type: 'response', seq: 0, request_seq: request.seq, command: request.command, success: false, message,
      body: { error: { id: ERROR_ID, format: message.replace(/[{}]/g, ''), showUser: false } },
    };
  }

  /** Sends an error response; braces are kept out of the format string the client would interpolate. */
  private fail(response: DebugProtocol.Response, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    response.success = false;
    response.message = message;
    response.body = { error: { id: ERROR_ID, format: message.replace(/[{}]/g, ''), showUser: false } };
    this.sendResponse(response);
  }

  /** Runs a handler; a thrown RequestRefused / RequestArgumentError (or anything else) becomes the error response. */
  private handle<T extends DebugProtocol.Response>(response: T, handler: () => void): void {
    try {
      handler();
    } catch (error) {
      if (error instanceof RequestRefused || error instanceof RequestArgumentError) this.fail(response, error);
      else this.fail(response, new Error(`internal error: ${error instanceof Error ? error.message : String(error)}`));
    }
  }

  private requireTarget(): NtDebugTarget {
    if (this.target !== undefined) return this.target;
    if (this.ended) refuse('the debug session has ended');
    return refuse('no program is running: launch one first');
  }

  /** Inspection needs a machine that is not in the middle of a slice's bookkeeping: any stopped or running target. */
  private requireStopped(): NtDebugTarget {
    const target = this.requireTarget();
    if (target.isRunning) refuse('the machine is running: pause it first');
    return target;
  }

  private requireThread(args: ArgumentRecord): void {
    const threadId = requireInteger(args, 'threadId');
    if (threadId !== THREAD_ID) refuse(`unknown thread ${threadId}: the machine runs one thread, id ${THREAD_ID}`);
  }

  private requireFrames(target: NtDebugTarget): StackFrame[] {
    if (this.frames === undefined) this.frames = target.callStack();
    return this.frames;
  }

  private requireFrameIfGiven(args: ArgumentRecord, target: NtDebugTarget): void {
    const frameId = optionalInteger(args, 'frameId');
    if (frameId === undefined) return;
    if (target.isRunning) refuse(`frame ${frameId} is gone: the machine is running`);
    const frames = this.requireFrames(target);
    if (frameId < 1 || frameId > frames.length) refuse(`unknown frame ${frameId}`);
  }

  private forgetStopState(): void {
    this.variableHandles = new Handles<VariableContainer>();
    this.frames = undefined;
  }

  // ------------------------------------------------------------------ start and end

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      supportsSetVariable: true,
      supportsSetExpression: true,
      supportsRestartRequest: true,
      supportsTerminateRequest: true,
      supportsCompletionsRequest: true,
      completionTriggerCharacters: ['!', ' '],
      supportsExceptionInfoRequest: true,
      supportsExceptionFilterOptions: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS.map((definition) => ({
        filter: definition.filter, label: definition.label, description: definition.description, default: false,
        supportsCondition: definition.supportsCondition, conditionDescription: definition.conditionDescription,
      })),
      supportsLoadedSourcesRequest: true,
      supportsDataBreakpoints: true,
      supportsDataBreakpointBytes: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsDisassembleRequest: true,
      supportsSteppingGranularity: true,
      supportsInstructionBreakpoints: true,
      supportsValueFormattingOptions: false,
    };
    this.sendResponse(response);
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configured = true;
    this.sendResponse(response);
    const resume = this.configurationDone;
    this.configurationDone = undefined;
    resume?.();
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): void {
    if (this.target !== undefined || this.launching) {
      this.fail(response, new Error('a program is already running in this session'));
      return;
    }
    if (this.ended) {
      this.fail(response, new Error('the debug session has ended'));
      return;
    }
    let settings: LaunchSettings;
    try {
      settings = parseLaunchSettings(args);
    } catch (error) {
      this.fail(response, error instanceof LaunchSettingsError ? error : new Error(String(error)));
      return;
    }
    this.launching = true;
    this.launch(response, settings).catch((error: unknown) => {
      this.launching = false;
      this.fail(response, new Error(`launch failed: ${error instanceof Error ? error.message : String(error)}`));
    });
  }

  private async launch(response: DebugProtocol.LaunchResponse, settings: LaunchSettings): Promise<void> {
    const target = this.createTarget(settings);
    this.launching = false;
    if (typeof target === 'string') {
      this.fail(response, new Error(target));
      return;
    }
    this.sendEvent(new InitializedEvent());
    if (!this.configured) {
      await new Promise<void>((resolve) => {
        this.configurationDone = resolve;
        setTimeout(resolve, CONFIGURATION_WAIT_MS).unref();
      });
    }
    if (this.target !== target) return; // terminated meanwhile
    this.sendResponse(response);
    target.start(settings.stopOnEntry);
  }

  /** Builds the system and the target; assembly errors go to the Debug Console and come back as the message. */
  private createTarget(settings: LaunchSettings): NtDebugTarget | string {
    const build = buildNtSystem(settings);
    if (!build.ok) {
      for (const problem of build.problems) this.sendEvent(new OutputEvent(`${problem}\n`, 'stderr'));
      return build.summary;
    }
    for (const warning of build.warnings) this.sendEvent(new OutputEvent(`${warning}\n`, 'console'));
    const target: NtDebugTarget = new NtDebugTarget(build.system, settings, {
      stopped: (stop) => { if (this.target === target) this.reportStop(stop); },
      output: (category, text) => { if (this.target === target) this.sendEvent(new OutputEvent(text, category)); },
      exited: (status, description) => {
        if (this.target !== target) return;
        this.sendEvent(new OutputEvent(`${description}\n`, 'console'));
        this.sendEvent(new ExitedEvent(status));
        this.endSession();
      },
    });
    this.settings = settings;
    this.target = target;
    this.forgetStopState();
    this.applyRememberedBreakpoints(target);
    return target;
  }

  private reportStop(stop: TargetStop): void {
    this.forgetStopState();
    const event = new StoppedEvent(stop.reason, THREAD_ID, stop.exception?.description) as DebugProtocol.StoppedEvent;
    event.body.description = stop.description;
    event.body.allThreadsStopped = true;
    if (stop.hitBreakpointIds !== undefined) event.body.hitBreakpointIds = stop.hitBreakpointIds;
    this.sendEvent(event);
  }

  private endSession(): void {
    this.target?.cancel();
    this.target = undefined;
    this.ended = true;
    this.forgetStopState();
    this.sendEvent(new TerminatedEvent());
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.handle(response, () => {
      this.requireTarget();
      this.sendResponse(response);
      this.endSession();
    });
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments, request?: DebugProtocol.Request): void {
    this.target?.cancel();
    this.target = undefined;
    this.ended = true;
    super.disconnectRequest(response, args, request);
  }

  protected override restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): void {
    this.handle(response, () => {
      const old = this.requireTarget();
      const record = optionalRecord(args);
      const settings = record.arguments === undefined ? this.settings : parseLaunchSettings(record.arguments);
      if (settings === undefined) refuse('nothing to restart');
      old.cancel();
      this.target = undefined;
      const target = this.createTarget(settings);
      if (typeof target === 'string') {
        this.fail(response, new Error(target));
        this.endSession();
        return;
      }
      this.sendResponse(response);
      target.start(settings.stopOnEntry);
    });
  }

  // ------------------------------------------------------------------ execution

  protected override continueRequest(response: DebugProtocol.ContinueResponse, args: DebugProtocol.ContinueArguments): void {
    this.handle(response, () => {
      this.requireThread(argumentRecord(args, 'continue'));
      const target = this.requireStopped();
      response.body = { allThreadsContinued: true };
      this.sendResponse(response);
      this.forgetStopState();
      target.continue();
    });
  }

  private granularity(args: ArgumentRecord): 'line' | 'instruction' {
    const value = optionalString(args, 'granularity') ?? 'line';
    if (value !== 'line' && value !== 'instruction' && value !== 'statement') refuse(`granularity '${value}' is not line, statement or instruction`);
    return value === 'instruction' ? 'instruction' : 'line';
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'next');
      this.requireThread(record);
      const granularity = this.granularity(record);
      const target = this.requireStopped();
      this.sendResponse(response);
      this.forgetStopState();
      target.next(granularity);
    });
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'stepIn');
      this.requireThread(record);
      const granularity = this.granularity(record);
      const target = this.requireStopped();
      this.sendResponse(response);
      this.forgetStopState();
      target.stepIn(granularity);
    });
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'stepOut');
      this.requireThread(record);
      this.granularity(record);
      const target = this.requireStopped();
      this.sendResponse(response);
      this.forgetStopState();
      target.stepOut();
    });
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse, args: DebugProtocol.PauseArguments): void {
    this.handle(response, () => {
      this.requireThread(argumentRecord(args, 'pause'));
      const target = this.requireTarget();
      this.sendResponse(response);
      target.pause();
    });
  }

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    this.handle(response, () => {
      this.requireTarget();
      response.body = { threads: [new Thread(THREAD_ID, 'KiInitialThread (the program\'s thread)')] };
      this.sendResponse(response);
    });
  }

  // ------------------------------------------------------------------ call stack and variables

  private source(file: string): Source {
    return new Source(path.basename(file), this.convertDebuggerPathToClient(file));
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'stackTrace');
      this.requireThread(record);
      const start = optionalInteger(record, 'startFrame', 0) ?? 0;
      const levels = optionalInteger(record, 'levels', 0) ?? 0;
      const target = this.requireStopped();
      const frames = this.requireFrames(target);
      const end = levels === 0 ? frames.length : Math.min(frames.length, start + levels);
      const stackFrames: DebugProtocol.StackFrame[] = [];
      for (let index = start; index < end; index++) {
        const frame = frames[index];
        if (frame.kind === 'trap-frame') {
          const label: DebugProtocol.StackFrame = new DapStackFrame(index + 1, frame.name);
          label.presentationHint = 'label';
          label.line = 0;
          label.column = 0;
          label.instructionPointerReference = hexValue(frame.returnPc);
          stackFrames.push(label);
          continue;
        }
        const dapFrame: DebugProtocol.StackFrame = frame.source === undefined
          ? new DapStackFrame(index + 1, frame.name)
          : new DapStackFrame(index + 1, frame.name, this.source(frame.source.file), this.convertDebuggerLineToClient(frame.source.line), this.convertDebuggerColumnToClient(1));
        if (frame.source === undefined) { dapFrame.line = 0; dapFrame.column = 0; dapFrame.presentationHint = 'subtle'; }
        dapFrame.instructionPointerReference = hexValue(frame.pc);
        stackFrames.push(dapFrame);
      }
      response.body = { stackFrames, totalFrames: frames.length };
      this.sendResponse(response);
    });
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'scopes');
      const target = this.requireStopped();
      const frameId = requireInteger(record, 'frameId');
      const frames = this.requireFrames(target);
      if (frameId < 1 || frameId > frames.length) refuse(`unknown frame ${frameId}`);
      const inKernel = target.machine.registers().cpl === 0;
      if (frameId > 1) {
        // A caller's registers are not the CPU's: show what the stack and trap frame tell of them.
        const frame = frames[frameId - 1];
        const callerScope = new Scope(`Registers (frame ${frameId - 1}, from the stack)`, this.variableHandles.create({ kind: 'caller', frameIndex: frameId - 1 }), false) as DebugProtocol.Scope;
        callerScope.presentationHint = 'registers';
        const machineScopes = SCOPE_NAMES.filter((scope) => scope !== 'Registers' && (scope !== 'Trap Frame' || inKernel))
          .map((scope) => new Scope(scope, this.variableHandles.create({ kind: 'scope', scope }), true));
        response.body = { scopes: frame.kind === 'code' ? [callerScope, ...machineScopes] : machineScopes };
        this.sendResponse(response);
        return;
      }
      response.body = {
        scopes: SCOPE_NAMES.filter((scope) => scope !== 'Trap Frame' || inKernel).map((scope) => {
          const dapScope: DebugProtocol.Scope = new Scope(scope, this.variableHandles.create({ kind: 'scope', scope }), scope !== 'Registers');
          dapScope.presentationHint = scope === 'Registers' ? 'registers' : undefined;
          return dapScope;
        }),
      };
      this.sendResponse(response);
    });
  }

  private containerChildren(reference: number): VariableNode[] {
    const target = this.requireStopped();
    const container = this.variableHandles.get(reference);
    if (container === undefined) refuse(`unknown variables reference ${reference} (it belongs to an earlier stop, or never existed)`);
    if (container.kind === 'scope') return new VariableTreeBuilder(target).scope(container.scope);
    if (container.kind === 'caller') return new VariableTreeBuilder(target).callerRegisters(this.requireFrames(target), container.frameIndex);
    return container.node.children?.() ?? [];
  }

  private toDapVariable(node: VariableNode): DebugProtocol.Variable {
    const variable: DebugProtocol.Variable = {
      name: node.name, value: node.value, type: node.type, evaluateName: node.evaluateName,
      variablesReference: node.children === undefined ? 0 : this.variableHandles.create({ kind: 'node', node }),
    };
    if (node.memoryReference !== undefined) variable.memoryReference = node.memoryReference;
    if (node.write === undefined) variable.presentationHint = { attributes: ['readOnly'] };
    return variable;
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'variables');
      const reference = requireInteger(record, 'variablesReference', 1);
      const start = optionalInteger(record, 'start', 0) ?? 0;
      const count = optionalInteger(record, 'count', 0) ?? 0;
      const filter = optionalString(record, 'filter');
      if (filter !== undefined && filter !== 'indexed' && filter !== 'named') refuse(`filter '${filter}' is not indexed or named`);
      const children = filter === 'indexed' ? [] : this.containerChildren(reference);
      const page = count === 0 ? children.slice(start) : children.slice(start, start + count);
      response.body = { variables: page.map((node) => this.toDapVariable(node)) };
      this.sendResponse(response);
    });
  }

  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'setVariable');
      const reference = requireInteger(record, 'variablesReference', 1);
      const name = requireString(record, 'name');
      const value = requireString(record, 'value');
      const node = this.containerChildren(reference).find((candidate) => candidate.name === name);
      if (node === undefined) refuse(`no variable '${name}' in that scope`);
      if (node.write === undefined) refuse(`'${name}' cannot be changed`);
      const problem = node.write(value);
      if (problem !== undefined) refuse(problem);
      if (node.storage !== undefined) this.sendEvent(new MemoryEvent(hexValue(node.storage.address), 0, node.storage.size));
      const updated = this.containerChildren(reference).find((candidate) => candidate.name === name) ?? node;
      response.body = { value: updated.value, type: updated.type, variablesReference: 0 };
      this.sendResponse(response);
      this.sendEvent(new InvalidatedEvent(['variables'], THREAD_ID));
    });
  }

  // ------------------------------------------------------------------ evaluate

  private describeValue(target: NtDebugTarget, value: number): string {
    const symbol = target.symbols.symbolize(value);
    return symbol === undefined ? `${hexValue(value)} (${value})` : `${hexValue(value)} (${symbol})`;
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'evaluate');
      const expression = requireString(record, 'expression');
      const context = optionalString(record, 'context');
      const target = this.requireTarget();
      this.requireFrameIfGiven(record, target);
      if (expression.trim().length === 0) refuse('nothing to evaluate');
      if (context === 'repl') {
        const answer = runReplCommand(expression, replEnvironmentOf(target));
        if (answer !== undefined) {
          if (!answer.ok) refuse(answer.message);
          response.body = { result: answer.text, variablesReference: 0 };
          this.sendResponse(response);
          return;
        }
      }
      // Hover text comes from NASM sources, where bare numbers are decimal.
      const result = evaluateExpression(expression, target.evaluation, { radix: context === 'hover' ? 10 : 16 });
      if (!result.ok) refuse(result.message);
      response.body = { result: this.describeValue(target, result.value), variablesReference: 0, type: this.referenceType(result.reference) };
      const pointer = result.reference?.kind === 'memory' ? result.reference.address : result.value;
      if (target.machine.translate(pointer) !== undefined) response.body.memoryReference = hexValue(pointer);
      this.sendResponse(response);
    });
  }

  private referenceType(reference: ValueReference | null): string | undefined {
    if (reference === null) return undefined;
    if (reference.kind === 'register') return 'register';
    return reference.size === 1 ? 'byte' : reference.size === 2 ? 'word' : 'dword';
  }

  protected override setExpressionRequest(response: DebugProtocol.SetExpressionResponse, args: DebugProtocol.SetExpressionArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'setExpression');
      const expression = requireString(record, 'expression');
      const valueText = requireString(record, 'value');
      const target = this.requireStopped();
      this.requireFrameIfGiven(record, target);
      const place = evaluateExpression(expression, target.evaluation);
      if (!place.ok) refuse(place.message);
      if (place.reference === null) refuse(`'${expression}' is a value, not a register or memory: it cannot be assigned`);
      const value = evaluateExpression(valueText, target.evaluation);
      if (!value.ok) refuse(`'${valueText}': ${value.message}`);
      if (place.reference.kind === 'register') {
        const definition = place.reference.register;
        const current = target.evaluation.register(definition.base);
        if (current === undefined) refuse(`${definition.name} is not available`);
        const problem = writeRegister(target.machine, definition.base, composeRegisterWrite(definition, current, value.value));
        if (problem !== undefined) refuse(problem);
      } else {
        const { address, size } = place.reference;
        if (writeLinearBytes(target.machine, address, littleEndianBytes(value.value, size)) !== size) refuse(`memory at ${hexValue(address)} is not mapped`);
        this.sendEvent(new MemoryEvent(hexValue(address), 0, size));
      }
      const updated = evaluateExpression(expression, target.evaluation);
      response.body = { value: updated.ok ? this.describeValue(target, updated.value) : valueText };
      this.sendResponse(response);
      this.sendEvent(new InvalidatedEvent(['variables'], THREAD_ID));
    });
  }

  protected override completionsRequest(response: DebugProtocol.CompletionsResponse, args: DebugProtocol.CompletionsArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'completions');
      const text = requireString(record, 'text');
      const column = this.convertClientColumnToDebugger(requireInteger(record, 'column', 0, text.length + 1));
      const target = this.requireTarget();
      const answer = completeExpression(text, target.evaluation, Math.max(1, column));
      const targets: DebugProtocol.CompletionItem[] = answer.items.map((item) => ({
        label: item.label, start: this.convertDebuggerColumnToClient(answer.start), length: Math.max(0, column - answer.start),
        type: item.kind === 'register' ? 'variable' : item.kind === 'keyword' ? 'keyword' : item.kind === 'function' ? 'function' : 'reference',
      }));
      const typed = text.slice(0, Math.max(0, column - 1)).trimStart();
      if (!typed.includes(' ')) {
        for (const command of REPL_COMMAND_NAMES) {
          if (command.startsWith(typed) && typed.length > 0) targets.unshift({ label: command, start: this.convertDebuggerColumnToClient(text.length - text.trimStart().length + 1), length: typed.length, type: 'keyword' });
        }
      }
      response.body = { targets };
      this.sendResponse(response);
    });
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse, args: DebugProtocol.ExceptionInfoArguments): void {
    this.handle(response, () => {
      this.requireThread(argumentRecord(args, 'exceptionInfo'));
      const target = this.requireStopped();
      const exception = target.lastStop?.exception;
      if (exception === undefined) refuse('the machine did not stop on an exception filter');
      response.body = {
        exceptionId: exception.filter, description: exception.description, breakMode: 'always',
        details: { message: exception.description, typeName: exception.name },
      };
      this.sendResponse(response);
    });
  }

  // ------------------------------------------------------------------ breakpoints

  private breakpointOptions(record: ArgumentRecord): { condition?: string; hitCondition?: string; logMessage?: string } {
    return { condition: optionalString(record, 'condition'), hitCondition: optionalString(record, 'hitCondition'), logMessage: optionalString(record, 'logMessage') };
  }

  private applyRememberedBreakpoints(target: NtDebugTarget): void {
    // Errors here cannot reach a response: each failing set is simply skipped.
    const quietly = (apply: () => void): void => { try { apply(); } catch { /* reported when the client sets them again */ } };
    for (const args of this.sourceBreakpoints.values()) quietly(() => this.setSourceBreakpoints(target, args));
    if (this.functionBreakpoints) quietly(() => this.setFunctionBreakpointsOn(target, this.functionBreakpoints!));
    if (this.instructionBreakpoints) quietly(() => this.setInstructionBreakpointsOn(target, this.instructionBreakpoints!));
    if (this.dataBreakpoints) quietly(() => this.setDataBreakpointsOn(target, this.dataBreakpoints!));
    if (this.exceptionBreakpoints) quietly(() => this.setExceptionFiltersOn(target, this.exceptionBreakpoints!));
  }

  private setSourceBreakpoints(target: NtDebugTarget, record: ArgumentRecord): DebugProtocol.Breakpoint[] {
    const source = argumentRecord(record.source, 'setBreakpoints.source');
    const file = path.resolve(this.convertClientPathToDebugger(requireString(source, 'path')));
    const requested = optionalArray(record, 'breakpoints') ?? (optionalArray(record, 'lines') ?? []).map((line) => ({ line }));
    const checked = requested.map((entry) => {
      const item = argumentRecord(entry, 'breakpoint');
      return { line: this.convertClientLineToDebugger(requireInteger(item, 'line', 0)), options: this.breakpointOptions(item) };
    });
    target.breakpoints.clear('source', file);
    return checked.map(({ line, options }) => {
      const resolved = target.symbols.resolveLine(file, line);
      const record = target.addCodeBreakpoint('source', file, resolved?.addresses ?? [], options,
        resolved === undefined ? `no code at or below line ${line} of ${path.basename(file)} in any loaded module` : undefined);
      const breakpoint: DebugProtocol.Breakpoint = new Breakpoint(record.verified, this.convertDebuggerLineToClient(resolved?.line ?? line), undefined, this.source(file));
      breakpoint.id = record.id;
      if (record.message !== undefined) breakpoint.message = record.message;
      if (resolved !== undefined) breakpoint.instructionReference = hexValue(resolved.addresses[0]);
      return breakpoint;
    });
  }

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'setBreakpoints');
      const source = argumentRecord(record.source, 'setBreakpoints.source');
      const file = path.resolve(this.convertClientPathToDebugger(requireString(source, 'path')));
      if (this.target === undefined) {
        if (this.ended) refuse('the debug session has ended');
        this.sourceBreakpoints.set(file, record);
        const requested = optionalArray(record, 'breakpoints') ?? [];
        response.body = { breakpoints: requested.map(() => ({ verified: false, message: 'the program is not launched yet' })) };
        this.sendResponse(response);
        return;
      }
      const breakpoints = this.setSourceBreakpoints(this.target, record);
      this.sourceBreakpoints.set(file, record);
      response.body = { breakpoints };
      this.sendResponse(response);
    });
  }

  private setFunctionBreakpointsOn(target: NtDebugTarget, record: ArgumentRecord): DebugProtocol.Breakpoint[] {
    const requested = requireArray(record, 'breakpoints').map((entry) => {
      const item = argumentRecord(entry, 'function breakpoint');
      return { name: requireString(item, 'name'), options: this.breakpointOptions(item) };
    });
    target.breakpoints.clear('function');
    return requested.map(({ name, options }) => {
      const symbol = target.symbols.findSymbol(name);
      const added = target.addCodeBreakpoint('function', name, symbol === undefined ? [] : [symbol.address], options,
        symbol === undefined ? `no symbol '${name}' in the loaded modules (try nt!Name or ntdll!Name)` : undefined);
      const breakpoint: DebugProtocol.Breakpoint = { id: added.id, verified: added.verified, message: added.message };
      if (symbol !== undefined) {
        breakpoint.instructionReference = hexValue(symbol.address);
        const line = target.symbols.lineOf(symbol.address);
        if (line !== undefined) { breakpoint.source = this.source(line.file); breakpoint.line = this.convertDebuggerLineToClient(line.line); }
      }
      return breakpoint;
    });
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'setFunctionBreakpoints');
      const target = this.requireTarget();
      response.body = { breakpoints: this.setFunctionBreakpointsOn(target, record) };
      this.functionBreakpoints = record;
      this.sendResponse(response);
    });
  }

  private setInstructionBreakpointsOn(target: NtDebugTarget, record: ArgumentRecord): DebugProtocol.Breakpoint[] {
    const requested = requireArray(record, 'breakpoints').map((entry) => {
      const item = argumentRecord(entry, 'instruction breakpoint');
      const reference = requireString(item, 'instructionReference');
      const base = parseMemoryReference(reference);
      if (base === undefined) refuse(`instructionReference '${reference}' is not an address`);
      const offset = optionalInteger(item, 'offset') ?? 0;
      return { address: (base + offset) >>> 0, options: this.breakpointOptions(item) };
    });
    target.breakpoints.clear('instruction');
    return requested.map(({ address, options }) => {
      const mapped = target.machine.translate(address) !== undefined;
      const added = target.addCodeBreakpoint('instruction', hexValue(address), [address], options, mapped ? undefined : `${hexValue(address)} is not mapped now (the breakpoint stays armed)`);
      return { id: added.id, verified: added.verified, message: added.message, instructionReference: hexValue(address) };
    });
  }

  protected override setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'setInstructionBreakpoints');
      const target = this.requireTarget();
      response.body = { breakpoints: this.setInstructionBreakpointsOn(target, record) };
      this.instructionBreakpoints = record;
      this.sendResponse(response);
    });
  }

  private setExceptionFiltersOn(target: NtDebugTarget, record: ArgumentRecord): DebugProtocol.Breakpoint[] {
    const filters: ExceptionFilterId[] = [];
    const answers: DebugProtocol.Breakpoint[] = [];
    for (const entry of requireArray(record, 'filters')) {
      if (typeof entry !== 'string' || !isExceptionFilterId(entry)) refuse(`unknown exception filter ${JSON.stringify(entry)} (known: ${EXCEPTION_FILTERS.map((filter) => filter.filter).join(', ')})`);
      filters.push(entry);
    }
    let vectors: number[] | undefined;
    for (const entry of optionalArray(record, 'filterOptions') ?? []) {
      const option = argumentRecord(entry, 'filterOptions entry');
      const filterId = requireString(option, 'filterId');
      if (!isExceptionFilterId(filterId)) refuse(`unknown exception filter '${filterId}'`);
      const condition = optionalString(option, 'condition');
      filters.push(filterId);
      if (filterId === 'interrupt' && condition !== undefined && condition.trim() !== '') {
        const parsed = parseVectorList(condition);
        if (typeof parsed === 'string') { answers.push({ verified: false, message: parsed }); continue; }
        vectors = parsed;
      }
      answers.push({ verified: true });
    }
    target.setExceptionFilters([...new Set(filters)], vectors);
    return answers;
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'setExceptionBreakpoints');
      if (this.target === undefined) {
        if (this.ended) refuse('the debug session has ended');
        requireArray(record, 'filters');
        this.exceptionBreakpoints = record;
        this.sendResponse(response);
        return;
      }
      const breakpoints = this.setExceptionFiltersOn(this.target, record);
      this.exceptionBreakpoints = record;
      response.body = { breakpoints };
      this.sendResponse(response);
    });
  }

  /** `0x<address>:<bytes>` names a watched range. */
  private static dataId(address: number, bytes: number): string {
    return `${hexValue(address)}:${bytes}`;
  }

  protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'dataBreakpointInfo');
      const name = requireString(record, 'name');
      const reference = optionalInteger(record, 'variablesReference');
      const asAddress = optionalBoolean(record, 'asAddress') ?? false;
      const bytes = optionalInteger(record, 'bytes', 1, 4096);
      const target = this.requireTarget();
      const accessTypes: DebugProtocol.DataBreakpointAccessType[] = ['read', 'write', 'readWrite'];
      if (reference !== undefined && reference > 0) {
        const node = this.containerChildren(reference).find((candidate) => candidate.name === name);
        if (node === undefined) refuse(`no variable '${name}' in that scope`);
        response.body = node.storage === undefined
          ? { dataId: null, description: `'${name}' is not held in memory (registers cannot be watched)` }
          : { dataId: NtSyscallDebugSession.dataId(node.storage.address, node.storage.size), description: `${name} @ ${hexValue(node.storage.address)}`, accessTypes, canPersist: true };
        this.sendResponse(response);
        return;
      }
      const evaluated = evaluateExpression(name, target.evaluation);
      if (!evaluated.ok) refuse(evaluated.message);
      if (asAddress) {
        const size = bytes ?? 4;
        response.body = { dataId: NtSyscallDebugSession.dataId(evaluated.value, size), description: `${size} byte${size === 1 ? '' : 's'} at ${hexValue(evaluated.value)} (${target.name(evaluated.value)})`, accessTypes, canPersist: true };
      } else if (evaluated.reference?.kind === 'memory') {
        const size = bytes ?? evaluated.reference.size;
        response.body = { dataId: NtSyscallDebugSession.dataId(evaluated.reference.address, size), description: `${name} @ ${hexValue(evaluated.reference.address)}`, accessTypes, canPersist: true };
      } else {
        response.body = { dataId: null, description: `'${name}' is not memory: write [${name}] or pass asAddress to watch the address it names` };
      }
      this.sendResponse(response);
    });
  }

  private setDataBreakpointsOn(target: NtDebugTarget, record: ArgumentRecord): DebugProtocol.Breakpoint[] {
    const requested = requireArray(record, 'breakpoints').map((entry) => {
      const item = argumentRecord(entry, 'data breakpoint');
      const dataId = requireString(item, 'dataId');
      const match = /^0x([0-9a-f]{1,8}):([0-9]+)$/i.exec(dataId);
      if (!match) refuse(`dataId '${dataId}' did not come from dataBreakpointInfo`);
      const accessType = optionalString(item, 'accessType') ?? 'write';
      const access = WATCH_ACCESS[accessType];
      if (access === undefined) refuse(`accessType '${accessType}' is not read, write or readWrite`);
      return { dataId, start: parseInt(match[1], 16) >>> 0, length: Number(match[2]), access, options: this.breakpointOptions(item) };
    });
    target.breakpoints.clear('data');
    return requested.map(({ dataId, start, length, access, options }) => {
      const added = target.addDataBreakpoint(dataId, start, length, access, options);
      return { id: added.id, verified: added.verified, message: added.message ?? `watching ${length} byte${length === 1 ? '' : 's'} at ${hexValue(start)} for ${access === 'access' ? 'reads and writes' : `${access}s`}` };
    });
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'setDataBreakpoints');
      const target = this.requireTarget();
      response.body = { breakpoints: this.setDataBreakpointsOn(target, record) };
      this.dataBreakpoints = record;
      this.sendResponse(response);
    });
  }

  // ------------------------------------------------------------------ memory, disassembly, sources

  private memoryAddress(record: ArgumentRecord): number {
    const reference = requireString(record, 'memoryReference');
    const base = parseMemoryReference(reference);
    if (base === undefined) refuse(`memoryReference '${reference}' is not an address`);
    const offset = optionalInteger(record, 'offset') ?? 0;
    return (base + offset) >>> 0;
  }

  protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'readMemory');
      const address = this.memoryAddress(record);
      const count = requireInteger(record, 'count', 0, MAX_MEMORY_REQUEST);
      const target = this.requireTarget();
      const bytes: number[] = [];
      for (const byte of target.machine.readLinear(address, count)) {
        if (byte === undefined) break;
        bytes.push(byte);
      }
      response.body = { address: hexValue(address), data: Buffer.from(bytes).toString('base64'), unreadableBytes: count - bytes.length };
      this.sendResponse(response);
    });
  }

  protected override writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'writeMemory');
      const address = this.memoryAddress(record);
      const data = requireString(record, 'data');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data)) refuse("'data' must be base64");
      const allowPartial = optionalBoolean(record, 'allowPartial') ?? false;
      const target = this.requireStopped();
      const bytes = Buffer.from(data, 'base64');
      if (bytes.length > MAX_MEMORY_REQUEST) refuse(`at most ${MAX_MEMORY_REQUEST} bytes at a time`);
      const readable = readLinearBytes(target.machine, address, bytes.length);
      if (readable === undefined && !allowPartial) refuse(`memory at ${hexValue(address)}..${hexValue(address + bytes.length - 1)} is not all mapped`);
      const written = writeLinearBytes(target.machine, address, new Uint8Array(bytes));
      response.body = { bytesWritten: written, offset: 0 };
      this.sendResponse(response);
      this.sendEvent(new MemoryEvent(hexValue(address), 0, written));
      this.sendEvent(new InvalidatedEvent(['variables'], THREAD_ID));
    });
  }

  protected override disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'disassemble');
      const address = this.memoryAddress(record);
      const instructionOffset = optionalInteger(record, 'instructionOffset', -MAX_DISASSEMBLY, MAX_DISASSEMBLY) ?? 0;
      const count = requireInteger(record, 'instructionCount', 0, MAX_DISASSEMBLY);
      const target = this.requireTarget();
      const disassembler = new Disassembler(target.machine, target.symbols);
      let instructions;
      if (instructionOffset < 0) {
        const before = disassembler.backward(address, -instructionOffset);
        const after = disassembler.forward(address, Math.max(0, count + instructionOffset));
        instructions = [...before, ...after].slice(0, count);
      } else {
        const skipped = instructionOffset === 0 ? address : disassembler.forward(address, instructionOffset + 1)[instructionOffset].address;
        instructions = disassembler.forward(skipped, count);
      }
      response.body = {
        instructions: instructions.map((instruction): DebugProtocol.DisassembledInstruction => {
          const line = instruction.line;
          const entry: DebugProtocol.DisassembledInstruction = {
            address: hexValue(instruction.address),
            instruction: line === undefined ? '??' : line.text,
            instructionBytes: line === undefined ? undefined : line.bytesHex.replace(/(..)(?!$)/g, '$1 '),
          };
          if (line === undefined) entry.presentationHint = 'invalid';
          if (instruction.symbolStart !== undefined) entry.symbol = instruction.symbolStart;
          if (instruction.source !== undefined) {
            entry.location = this.source(instruction.source.file);
            entry.line = this.convertDebuggerLineToClient(instruction.source.line);
          }
          return entry;
        }),
      };
      this.sendResponse(response);
    });
  }

  protected override loadedSourcesRequest(response: DebugProtocol.LoadedSourcesResponse): void {
    this.handle(response, () => {
      const target = this.requireTarget();
      response.body = { sources: target.symbols.sourceFiles().map((file) => this.source(file)) };
      this.sendResponse(response);
    });
  }

  protected override sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    this.handle(response, () => {
      const record = argumentRecord(args, 'source');
      const target = this.requireTarget();
      const source = optionalRecord(record.source);
      const file = typeof source.path === 'string' ? path.resolve(this.convertClientPathToDebugger(source.path)) : undefined;
      if (file === undefined || !target.symbols.sourceFiles().includes(file)) refuse('that source is not part of a loaded module');
      response.body = { content: fs.readFileSync(file, 'utf8'), mimeType: 'text/x-nasm' };
      this.sendResponse(response);
    });
  }

  // ------------------------------------------------------------------ the NT views

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    this.handle(response, () => {
      if (!command.startsWith('nt.')) refuse(`unknown request '${command}'`);
      const target = this.requireTarget();
      const views = new SystemViews(target.machine, target.symbols);
      const unwrap = <T>(result: { ok: true; value: T } | { ok: false; error: string }): T => (result.ok ? result.value : refuse(result.error));
      switch (command) {
        case 'nt.idt': response.body = unwrap(views.idt()); break;
        case 'nt.gdt': response.body = unwrap(views.gdt()); break;
        case 'nt.tss': response.body = unwrap(views.tss()); break;
        case 'nt.ssdt': response.body = unwrap(views.ssdt()); break;
        case 'nt.kernelStack': response.body = views.kernelStack(); break;
        case 'nt.msr': response.body = views.msr(); break;
        case 'nt.translate': {
          const record = argumentRecord(args, 'nt.translate');
          const address = record.address;
          let linear: number | undefined;
          if (typeof address === 'number' && Number.isInteger(address) && address >= 0 && address <= 0xFFFFFFFF) linear = address;
          else if (typeof address === 'string') {
            const evaluated = evaluateExpression(address, target.evaluation);
            if (!evaluated.ok) refuse(`address '${address}': ${evaluated.message}`);
            linear = evaluated.value;
          } else refuse("'address' must be a 32-bit number or an expression");
          response.body = views.translate(linear);
          break;
        }
        default: refuse(`unknown request '${command}' (known: nt.idt, nt.gdt, nt.tss, nt.ssdt, nt.kernelStack, nt.msr, nt.translate)`);
      }
      this.sendResponse(response);
    });
  }
}
