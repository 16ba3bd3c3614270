; ntdll.dll, the user-mode end of every system call (Windows XP SP3 layout, x86).
;
; Each Nt* stub loads the service number into EAX and calls through
; SharedUserData->SystemCall (0x7FFE0300), which the kernel filled in at boot
; with the address of KiFastSystemCall (sysenter) or KiIntSystemCall (int 2Eh).
; The stub then pops its own arguments with `ret N*4` (stdcall).

        bits 32
        org 0x7C900000                  ; where XP loads ntdll

SharedUserData_SystemCall equ 0x7FFE0300   ; KUSER_SHARED_DATA + 0x300

        section .text

        global NtClose
        global NtReadFile
        global NtWriteFile
        global NtTerminateProcess
        global KiFastSystemCall
        global KiFastSystemCallRet
        global KiIntSystemCall

; NTSTATUS NtClose(HANDLE Handle)                                  service 0x19
NtClose:
        mov eax, 0x19                   ; service number (XP SP3)
        mov edx, SharedUserData_SystemCall
        call dword [edx]                ; -> KiFastSystemCall or KiIntSystemCall
        ret 1*4                         ; 1 argument

; NTSTATUS NtReadFile(FileHandle, Event, ApcRoutine, ApcContext,
;                     IoStatusBlock, Buffer, Length, ByteOffset, Key)   0xB7
NtReadFile:
        mov eax, 0xB7
        mov edx, SharedUserData_SystemCall
        call dword [edx]
        ret 9*4                         ; 9 arguments = 0x24 bytes

; NTSTATUS NtTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus)  0x101
NtTerminateProcess:
        mov eax, 0x101
        mov edx, SharedUserData_SystemCall
        call dword [edx]
        ret 2*4

; NTSTATUS NtWriteFile(FileHandle, Event, ApcRoutine, ApcContext,
;                      IoStatusBlock, Buffer, Length, ByteOffset, Key)  0x112
NtWriteFile:
        mov eax, 0x112
        mov edx, SharedUserData_SystemCall
        call dword [edx]
        ret 9*4

; The int 2Eh way in (CPUs without sysenter). On entry [esp] is the return
; address into the stub and [esp+4] the return address into the caller, so
; the caller's first argument is at esp+8: the kernel copies from EDX.
KiIntSystemCall:
        lea edx, [esp+8]
        int 0x2E                        ; -> IDT[0x2E] = nt!KiSystemService
        ret

; The sysenter way in. sysenter saves neither EIP nor ESP: the kernel gets the
; user stack from EDX and returns to SharedUserData->SystemCallReturn.
KiFastSystemCall:
        mov edx, esp
        sysenter                        ; -> MSR 0x176 = nt!KiFastCallEntry

; sysexit lands here with ESP back on the stub's return address.
KiFastSystemCallRet:
        ret
