; hello: writes a line to the console through ntdll!NtWriteFile, then exits.
;
; Simplification: a real program would take the console handle from
; PEB->ProcessParameters->StandardOutput; the model hands every process the
; console output handle CONSOLE_OUTPUT below.

        bits 32
        org 0x00400000

        extern NtWriteFile
        extern NtTerminateProcess

CONSOLE_OUTPUT  equ 0x7                 ; console handles have the low two bits set
NtCurrentProcess equ -1

        section .text
        global start
start:
        ; NtWriteFile(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock,
        ;             Buffer, Length, ByteOffset, Key)
        push 0                          ; Key
        push 0                          ; ByteOffset
        push message_length             ; Length
        push message                    ; Buffer
        push io_status                  ; IoStatusBlock
        push 0                          ; ApcContext
        push 0                          ; ApcRoutine
        push 0                          ; Event
        push CONSOLE_OUTPUT             ; FileHandle
        call NtWriteFile

        push eax                        ; ExitStatus: what NtWriteFile returned
        push NtCurrentProcess
        call NtTerminateProcess
        hlt                             ; never reached (and a ring-3 hlt would #GP)

        section .data
message:        db "Hello from ring 3, via the system-call path!", 13, 10
message_length  equ $ - message

        align 4
io_status:      dd 0, 0                 ; IO_STATUS_BLOCK { Status, Information }
