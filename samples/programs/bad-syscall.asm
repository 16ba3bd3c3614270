; bad-syscall: two system calls the kernel's dispatcher refuses before any service runs.
;
;   1. EAX = 0xFFF: table 0, index 0xFFF - past KiServiceLimit, so nt!KiSystemServiceRepeat takes
;      KiBBTUnexpectedRange and returns STATUS_INVALID_SYSTEM_SERVICE (0xC000001C)
;   2. EDX = 0x80000000: a kernel address as the argument block - at or above MmUserProbeAddress
;      (0x7FFF0000), so the dispatcher returns STATUS_ACCESS_VIOLATION (0xC0000005) instead of
;      copying the "arguments" with rep movsd
; Both enter with `int 2Eh` directly (no ntdll stub: a stub would pass a good EDX). Watch EAX
; after each int, and in the kernel `dd nt!KeServiceDescriptorTable L4` (Base, Count, Limit, Number).

        bits 32
        org 0x00400000

STATUS_INVALID_SYSTEM_SERVICE   equ 0xC000001C
STATUS_ACCESS_VIOLATION         equ 0xC0000005
BAD_SERVICE_INDEX               equ 0x0FFF      ; table 0 (bit 12 clear), the highest index
NT_CLOSE_XP                     equ 0x19        ; NtClose on XP SP3: any real service would do
KERNEL_ADDRESS                  equ 0x80000000

        section .text
        global start
start:
        mov eax, BAD_SERVICE_INDEX
        lea edx, [esp+4]                ; a harmless argument pointer
        int 0x2E                        ; -> 0xC000001C
        mov [index_status], eax

        mov eax, NT_CLOSE_XP
        mov edx, KERNEL_ADDRESS         ; "my arguments are in kernel memory"
        int 0x2E                        ; -> 0xC0000005
        mov [pointer_status], eax

        ; Exit status 0 when both were refused as expected.
        xor eax, eax
        cmp dword [index_status], STATUS_INVALID_SYSTEM_SERVICE
        setne al
        cmp dword [pointer_status], STATUS_ACCESS_VIOLATION
        setne ah
        ret

        section .data
index_status:   dd 0
pointer_status: dd 0
