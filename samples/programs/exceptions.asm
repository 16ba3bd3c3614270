; exceptions: four CPU exceptions in one run, each caught by the program's own SEH handler.
;
; Each one takes the same road:
;   the faulting instruction -> IDT[vector] = nt!KiTrapXX (builds a _KTRAP_FRAME)
;   -> nt!KiDispatchException (copies an EXCEPTION_RECORD and a CONTEXT to the user stack)
;   -> ntdll!KiUserExceptionDispatcher -> RtlDispatchException walks fs:[0]
;   -> exception_handler below, which sets CONTEXT.Eip past the faulting instruction
;   -> ntdll calls NtContinue(CONTEXT) and the kernel resumes the program there.
; What to watch (`ntsyscall run ... --trace interrupts`, or stepping in VS Code):
;   vector 3  int3               #BP, a trap: the saved Eip is already past the 0xCC byte
;   vector 0  div by zero        #DE, a fault: Eip points at the div itself
;   vector 14 read of kernel mem #PF, error code 5 = present | read | user; CR2 = the address
;   vector 13 int through DPL 0  #GP, error code = vector*8 + 2 (IDT entry, not external)
; In WinDbg: `!idt 0e`, `.trap <frame>` in KiTrap0E, `dt nt!_KTRAP_FRAME @ebp`, `.exr`, `.cxr`.

        bits 32
        org 0x00400000

KERNEL_ADDRESS          equ 0x804D7000  ; ntoskrnl's first page: mapped, but supervisor only
DPL0_VECTOR             equ 0x0E        ; the #PF gate: ring 3 may not `int` through it
CONTEXT_EIP             equ 0xB8        ; CONTEXT.Eip
ER_EXCEPTION_CODE       equ 0x00        ; EXCEPTION_RECORD.ExceptionCode
ExceptionContinueExecution equ 0

        section .text
        global start
start:
        ; Register an SEH frame: EXCEPTION_REGISTRATION_RECORD { Next, Handler } on the stack,
        ; linked in at fs:[0] (TEB.NtTib.ExceptionList). This is what `__try` compiles to.
        push exception_handler          ; Handler
        push dword [fs:0]               ; Next: the previous head of the chain (-1: none)
        mov [fs:0], esp

        ; 1. int3: a breakpoint (STATUS_BREAKPOINT 0x80000003). Its gate is DPL 3, so this works.
        mov dword [resume_at], after_breakpoint
        int3
after_breakpoint:

        ; 2. Divide by zero (STATUS_INTEGER_DIVIDE_BY_ZERO 0xC0000094).
        mov dword [resume_at], after_divide
        mov eax, 1
        xor edx, edx
        xor ecx, ecx
        div ecx                         ; edx:eax / 0
after_divide:

        ; 3. Read kernel memory from ring 3: the PTE lacks the user bit, so #PF
        ;    (STATUS_ACCESS_VIOLATION 0xC0000005).
        mov dword [resume_at], after_kernel_read
        mov eax, [KERNEL_ADDRESS]
after_kernel_read:

        ; 4. `int 0Eh` from ring 3: IDT[0x0E] is a DPL 0 gate, so the CPU raises #GP with error
        ;    code 0x0E*8+2 = 0x72 instead (STATUS_ACCESS_VIOLATION again).
        mov dword [resume_at], after_gate
        int DPL0_VECTOR
after_gate:

        ; Unlink the SEH frame and return to ntdll!BaseProcessStart: exit status 0 when the
        ; handler saw all four exceptions.
        pop dword [fs:0]
        add esp, 4
        xor eax, eax
        cmp dword [handled], 4
        setne al
        ret

; EXCEPTION_DISPOSITION __cdecl exception_handler(ExceptionRecord, EstablisherFrame,
;                                                 ContextRecord, DispatcherContext)
; Called by ntdll!RtlDispatchException in ring 3. Records the code and resumes at resume_at.
exception_handler:
        mov eax, [esp+4]                ; ExceptionRecord
        mov edx, [eax+ER_EXCEPTION_CODE]
        mov ecx, [handled]
        mov [codes+ecx*4], edx          ; codes[] = 80000003, C0000094, C0000005, C0000005
        inc dword [handled]
        mov eax, [esp+12]               ; ContextRecord: the registers at the fault
        mov edx, [resume_at]
        mov [eax+CONTEXT_EIP], edx      ; continue after the faulting instruction
        mov eax, ExceptionContinueExecution
        ret

        section .data
resume_at:      dd 0                    ; where the handler sends execution next
handled:        dd 0                    ; how many exceptions the handler took
codes:          times 4 dd 0            ; their NTSTATUS codes, in order
