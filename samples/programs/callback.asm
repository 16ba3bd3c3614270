; callback: a system call into the win32k-style shadow table that calls back into this program.
;
; This is how XP's win32k.sys calls a window procedure:
;   NtUserInvokeCallback (EAX = 0x1000: bit 12 selects table 1, KeServiceDescriptorTableShadow[1])
;   -> nt!NtUserInvokeCallback -> KeUserModeCallback -> KiCallUserMode leaves for ring 3
;   -> ntdll!KiUserCallbackDispatcher -> PEB.KernelCallbackTable[0] = on_callback below (ring 3)
;   -> its return value goes back with `int 2Bh` (nt!KiCallbackReturn, vector 0x2B)
;   -> KeUserModeCallback returns to the service, which returns the callback's result (42).
; The callback even makes a system call of its own (WriteFile) while the first one is still inside
; the kernel: its trap frame is built on a fresh stretch of the kernel stack. Watch the vectors
; 0x2E/0x2B in --trace interrupts; in WinDbg: `dt nt!_KTHREAD @$thread CallbackStack`,
; `dps nt!KeServiceDescriptorTableShadow L8`.

        bits 32
        org 0x00400000

        extern WriteFile

TEB_PEB                 equ 0x30        ; TEB.ProcessEnvironmentBlock
PEB_KERNEL_CALLBACK_TABLE equ 0x2C      ; PEB.KernelCallbackTable (user32 fills it on Windows)
SHARED_SYSTEM_CALL      equ 0x7FFE0300  ; &SharedUserData->SystemCall
CONSOLE_OUTPUT          equ 0x7
CALLBACK_ARGUMENT       equ 41

        section .text
        global start
start:
        ; Point PEB.KernelCallbackTable at our table, as user32.dll does when it loads.
        mov eax, [fs:TEB_PEB]
        mov dword [eax+PEB_KERNEL_CALLBACK_TABLE], callback_table

        push CALLBACK_ARGUMENT          ; Argument
        push 0                          ; ApiNumber: callback_table[0]
        call NtUserInvokeCallback       ; eax = what on_callback returned
        mov [result], eax

        xor eax, eax                    ; exit status 0 when the result came back: 41 + 1
        cmp dword [result], CALLBACK_ARGUMENT + 1
        setne al
        ret

; NTSTATUS NtUserInvokeCallback(ApiNumber, Argument) - a win32k stub the way user32.dll has them:
; the same three instructions as ntdll's, with a service number from 0x1000.
NtUserInvokeCallback:
        mov eax, 0x1000                 ; table 1 (win32k), index 0
        mov edx, SHARED_SYSTEM_CALL
        call dword [edx]                ; KiFastSystemCall or KiIntSystemCall
        ret 2*4

; NTSTATUS __stdcall on_callback(PVOID InputBuffer, ULONG InputLength) - runs in ring 3 while the
; system call above is still in progress. InputBuffer points at a copy of Argument on this stack.
on_callback:
        push 0                          ; lpOverlapped
        push 0                          ; lpNumberOfBytesWritten
        push message_length
        push message
        push CONSOLE_OUTPUT
        call WriteFile                  ; a nested system call
        mov eax, [esp+4]                ; InputBuffer
        mov eax, [eax]                  ; the Argument: 41
        inc eax                         ; the result: 42
        ret 2*4                         ; to ntdll!KiUserCallbackDispatcher, which does int 2Bh

        section .data
callback_table: dd on_callback          ; KernelCallbackTable[0]
result:         dd 0
message:        db "on_callback: running in ring 3, called by the kernel", 10
message_length  equ $ - message
