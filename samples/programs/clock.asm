; clock: a ring-3 loop that the clock interrupt keeps interrupting.
;
; Run with `--clock N` (a tick every N instructions): IRQ 0 arrives as vector 0x30 while the CPU is
; in ring 3, so it switches to the kernel stack from TSS.Esp0 exactly as int 2Eh does;
; nt!HalpClockInterrupt builds a _KTRAP_FRAME whose Eip is inside .spin below, KeUpdateSystemTime
; advances KUSER_SHARED_DATA, and KiServiceExit2's iretd comes back to the loop.
; The loop waits for three ticks, read from KUSER_SHARED_DATA.TickCountLow at 0x7FFE0000 - the
; kernel's writes through 0xFFDF0000 show up here. Without --clock no tick comes, and the loop
; gives up after its count. Watch for `hardware interrupt 0x30 from ring 3` in --trace interrupts;
; in WinDbg: `!idt 30`, then `.trap @ebp` inside HalpClockInterrupt.

        bits 32
        org 0x00400000

USER_SHARED_TICK_COUNT_LOW      equ 0x7FFE0000  ; KUSER_SHARED_DATA.TickCountLow, ring 3's view
TICKS_TO_WAIT                   equ 3
MAX_ROUNDS                      equ 100000

        section .text
        global start
start:
        mov ebx, [USER_SHARED_TICK_COUNT_LOW]
        add ebx, TICKS_TO_WAIT          ; the tick count to wait for
        mov ecx, MAX_ROUNDS
.spin:
        cmp [USER_SHARED_TICK_COUNT_LOW], ebx
        jae .done                       ; three ticks have passed
        loop .spin                      ; the clock interrupts somewhere in these three lines
.done:
        mov eax, [USER_SHARED_TICK_COUNT_LOW]
        mov [ticks_seen], eax
        xor eax, eax                    ; exit status 0
        ret

        section .data
ticks_seen:     dd 0
