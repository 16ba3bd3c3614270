; zwcall: a driver whose DriverEntry reads the demo file with ZwReadFile - a system call made from
; ring 0.
;
; nt!ZwReadFile is not NtReadFile: it loads the service number, then fakes the frame an `int 2Eh`
; would push (pushfd, push 8 = KGDT_R0_CODE) and calls nt!KiSystemService. The trap frame's SegCs
; is then 0x08, so KiSystemService sets KTHREAD.PreviousMode = KernelMode, and NtReadFile skips the
; user-pointer probes: the buffers below are in kernel memory (0x806xxxxx) and that is fine.
; A user-mode caller passing these same pointers would get STATUS_ACCESS_VIOLATION.
; Run it with a program: `ntsyscall run samples/programs/readfile.asm --driver samples/drivers/zwcall.asm`
; and watch the first syscall: via "kernel", previousMode "kernel". WinDbg: `u nt!ZwReadFile`,
; `dt nt!_KTHREAD @$thread PreviousMode`, `dt nt!_KTRAP_FRAME @ebp SegCs`.
;
; Drivers load in the kernel's boot mapping above ntoskrnl (the model's loader puts a driver at
; its org; XP loads them around 0xF8000000).

        bits 32
        org 0x80600000

        extern ZwReadFile               ; from nt (the kernel exports its Zw stubs to drivers)

DEMO_FILE_HANDLE        equ 0x4         ; the file the model's process has open
READ_LENGTH             equ 16

        section .text
; NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath), stdcall
        global DriverEntry
DriverEntry:
        push 0                          ; Key
        push 0                          ; ByteOffset: the current position
        push READ_LENGTH                ; Length
        push buffer                     ; Buffer: kernel memory
        push io_status                  ; IoStatusBlock: kernel memory
        push 0                          ; ApcContext
        push 0                          ; ApcRoutine
        push 0                          ; Event
        push DEMO_FILE_HANDLE           ; FileHandle
        call ZwReadFile                 ; -> nt!KiSystemService with PreviousMode = KernelMode
        mov [read_status], eax
        xor eax, eax                    ; STATUS_SUCCESS: the driver loaded
        ret 2*4

        section .data
read_status:    dd 0xFFFFFFFF
io_status:      dd 0, 0                 ; IO_STATUS_BLOCK { Status, Information }
buffer:         times READ_LENGTH db 0  ; the file's first bytes land here
