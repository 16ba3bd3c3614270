; ssdt-hook: a driver that hooks NtReadFile's entry in the system service table, as rootkits did.
;
; KeServiceDescriptorTable[0].Base is KiServiceTable, one function pointer per service number.
; DriverEntry finds NtReadFile's number the classic way - the dword after ZwReadFile's first byte
; (`mov eax, 0B7h` on XP SP3) - saves the original pointer and writes its own, with CR0.WP cleared
; because XP maps the table read-only. From then on every NtReadFile, whoever calls it, runs
; hook_NtReadFile first; the hook announces itself on the debug port (the trace's "output" event,
; printed before the syscall completes) and jumps on to the original with the same stack.
; Run: `ntsyscall run samples/programs/readfile.asm --driver samples/drivers/ssdt-hook.asm`; add
; `--driver samples/drivers/zwcall.asm` after it and the driver's kernel-mode ZwReadFile is hooked too.
; WinDbg: `dps nt!KiServiceTable+0xB7*4 L1` before and after DriverEntry; `ln` on the pointer.

        bits 32
        org 0x80610000                  ; above zwcall.asm (0x80600000): both can load together

        extern KeServiceDescriptorTable
        extern ZwReadFile

CR0_WP                  equ 0x00010000  ; write protect: ring 0 honours read-only pages too
DEBUG_OUTPUT_PORT       equ 0xE9        ; the model's debug port (where DbgPrint output goes)

        section .text
        global DriverEntry
DriverEntry:
        mov ecx, [ZwReadFile+1]         ; the service number in `mov eax, imm32`
        mov [service_number], ecx
        mov edx, [KeServiceDescriptorTable]   ; ServiceTableBase = nt!KiServiceTable
        lea edx, [edx+ecx*4]            ; &KiServiceTable[NtReadFile]
        mov eax, [edx]
        mov [original_NtReadFile], eax

        cli                             ; nothing may run while the table is writable
        mov eax, cr0
        and eax, ~CR0_WP
        mov cr0, eax
        mov dword [edx], hook_NtReadFile      ; the hook
        or eax, CR0_WP
        mov cr0, eax
        sti

        xor eax, eax                    ; STATUS_SUCCESS
        ret 2*4

; The hook: called by nt!KiSystemServiceRepeat's `call ebx` exactly like NtReadFile, with the nine
; arguments copied to the kernel stack. A rootkit would filter the data here; this one only says
; hello, counts, and tail-jumps to the real service, which pops the arguments itself.
hook_NtReadFile:
        pushad
        inc dword [calls]
        mov esi, message
        mov ecx, message_length
.next_character:
        lodsb
        out DEBUG_OUTPUT_PORT, al
        loop .next_character
        popad
        jmp dword [original_NtReadFile]

        section .data
service_number:         dd 0
original_NtReadFile:    dd 0
calls:                  dd 0
message:                db "ssdt-hook: hook_NtReadFile runs before nt!NtReadFile", 10
message_length          equ $ - message
