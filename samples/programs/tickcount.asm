; tickcount: the tick count two ways, neither of them a system call.
;
;   int 2Ah       IDT[0x2A] = nt!KiGetTickCount, a DPL 3 interrupt gate: the kernel reads
;                 KUSER_SHARED_DATA.TickCountLow * TickCountMultiplier >> 24 and irets -
;                 no trap frame, no service table (watch vector 0x2A in --trace interrupts)
;   GetTickCount  ntdll's wrapper computes the same from the read-only user view of the same page,
;                 0x7FFE0000 (the kernel writes it through 0xFFDF0000)
; Run with `--clock 2000` to let the clock (vector 0x30) advance the count; WinDbg:
; `dt nt!_KUSER_SHARED_DATA 0x7ffe0000 TickCountLow TickCountMultiplier`, `!idt 2a`.

        bits 32
        org 0x00400000

        extern GetTickCount

        section .text
        global start
start:
        int 0x2A                        ; eax = milliseconds since boot, from the kernel
        mov [from_kernel], eax
        call GetTickCount               ; eax = the same, computed in ring 3
        mov [from_user], eax
        xor eax, eax                    ; exit status 0 (BaseProcessStart calls NtTerminateProcess)
        ret

        section .data
from_kernel:    dd 0
from_user:      dd 0
