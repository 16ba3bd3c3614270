; readfile: reads from a file through ntdll!NtReadFile, then exits.
; This is the default sample: step it to watch the whole system-call path
;   readfile -> ntdll!NtReadFile -> KiFastSystemCall (sysenter) or
;   KiIntSystemCall (int 2Eh) -> nt!KiFastCallEntry / nt!KiSystemService -> ...
;
; Simplification: a real program would first open the file with NtCreateFile;
; here the model's process starts with the file already open as FILE_HANDLE.

        bits 32
        org 0x00400000                  ; the usual image base of an .exe

        extern NtReadFile               ; from ntdll (a user-mode module)
        extern NtTerminateProcess

FILE_HANDLE     equ 0x4                 ; handle of the file the model opened for us
BUFFER_SIZE     equ 64
NtCurrentProcess equ -1                 ; the pseudo-handle (HANDLE)-1

        section .text
        global start
start:
        ; NtReadFile(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock,
        ;            Buffer, Length, ByteOffset, Key) - arguments pushed last first
        push 0                          ; Key
        push 0                          ; ByteOffset: NULL = current file position
        push BUFFER_SIZE                ; Length
        push buffer                     ; Buffer
        push io_status                  ; IoStatusBlock
        push 0                          ; ApcContext
        push 0                          ; ApcRoutine
        push 0                          ; Event
        push FILE_HANDLE                ; FileHandle
        call NtReadFile                 ; returns NTSTATUS in eax; the stub pops 9 arguments

        ; exit with the status NtReadFile returned
        push eax                        ; ExitStatus
        push NtCurrentProcess           ; ProcessHandle
        call NtTerminateProcess
        hlt                             ; never reached (and a ring-3 hlt would #GP)

        section .data
; IO_STATUS_BLOCK: { NTSTATUS Status (or PVOID Pointer); ULONG_PTR Information }
io_status:
.status:        dd 0                    ; final status of the read
.information:   dd 0                    ; number of bytes read

        section .bss
buffer: resb BUFFER_SIZE                ; the bytes read land here
