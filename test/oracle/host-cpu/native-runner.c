/*
 * Host-CPU side of the ALU oracle: runs the very bytes NASM produced for the emulator on the real CPU.
 *
 * Built with `gcc -m32` because daa/das/aaa/aas exist only outside 64-bit mode. On a host that cannot run
 * 32-bit code it is built with `gcc -m64` instead and runs the long-mode image (snippet-image.ts): the same
 * instructions under test, which there give the same low 32 bits and flags; the records and the image then
 * sit below 4 GiB (MAP_32BIT) because the snippets address them through ESI.
 * Usage: native-runner IMAGE RECORDS_IN JOBS RECORDS_OUT
 *   IMAGE   the snippet image (layout in record-layout.ts: a header of snippet offsets, then the code);
 *           each snippet's final `hlt` is patched to `ret` here, since user mode cannot halt.
 *   RECORDS 64-byte case records: inputs filled by the test, outputs written by the snippet (or by the
 *           #DE handler below, which records the registers at the fault and resumes at the next case).
 *   JOBS    uint32 triples (snippet index, first record, record count).
 * Exit status 0 on success; anything unexpected (a fault other than #DE at the instruction under test,
 * bad files) prints a message on stderr and exits non-zero.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__i386__)
#define REG_PC REG_EIP
#define REG_RECORD REG_ESI
#define REG_A REG_EAX
#define REG_B REG_EBX
#define REG_C REG_ECX
#define REG_D REG_EDX
#define LOW_MAPPING 0
#elif defined(__x86_64__)
#define REG_PC REG_RIP
#define REG_RECORD REG_RSI
#define REG_A REG_RAX
#define REG_B REG_RBX
#define REG_C REG_RCX
#define REG_D REG_RDX
#define LOW_MAPPING MAP_32BIT /* the snippets address records as [esi+N] */
#else
#error "build with -m32 (or -m64 for the long-mode image): the snippets are x86 code"
#endif

enum {
  RECORD_BYTES = 64,
  OUT_EAX = 40, OUT_EBX = 44, OUT_ECX = 48, OUT_EDX = 52, OUT_EFLAGS = 56, OUT_FAULT = 60,
  SNIPPET_HEADER_WORDS = 4 /* entry, instruction, next, exit: offsets from the image start */
};

/* Saves the C callee-saved registers, enters the snippet with ESI = first record, EDI = count. */
extern void run_snippet(uintptr_t entry, uint8_t *records, uint32_t count);
#if defined(__i386__)
__asm__(
    ".text\n"
    ".globl run_snippet\n"
    ".type run_snippet, @function\n"
    "run_snippet:\n"
    "  push %ebp\n"
    "  push %ebx\n"
    "  push %esi\n"
    "  push %edi\n"
    "  mov 20(%esp), %eax\n"
    "  mov 24(%esp), %esi\n"
    "  mov 28(%esp), %edi\n"
    "  call *%eax\n"
    "  cld\n"
    "  pop %edi\n"
    "  pop %esi\n"
    "  pop %ebx\n"
    "  pop %ebp\n"
    "  ret\n");
#else
/* SysV: entry in rdi, records in rsi (already where the snippet wants them), count in edx. */
__asm__(
    ".text\n"
    ".globl run_snippet\n"
    ".type run_snippet, @function\n"
    "run_snippet:\n"
    "  push %rbp\n"
    "  push %rbx\n"
    "  mov %rdi, %rax\n"
    "  mov %edx, %edi\n"
    "  call *%rax\n"
    "  cld\n"
    "  pop %rbx\n"
    "  pop %rbp\n"
    "  ret\n");
#endif

static volatile uintptr_t instruction_under_test;
static volatile uintptr_t resume_after_fault;
static volatile uint32_t current_snippet;

static void write_text(const char *text) {
  ssize_t ignored = write(2, text, strlen(text));
  (void)ignored;
}

static void write_hex(uint32_t value) {
  char digits[11] = "0x00000000";
  for (int i = 0; i < 8; i++) digits[9 - i] = "0123456789abcdef"[(value >> (4 * i)) & 15];
  write_text(digits);
}

/* #DE: record the registers at the fault (the fault leaves them unchanged) and resume at the next case. */
static void on_divide_error(int signal_number, siginfo_t *info, void *context) {
  (void)signal_number;
  (void)info;
  ucontext_t *machine = (ucontext_t *)context;
  greg_t *registers = machine->uc_mcontext.gregs;
  if ((uintptr_t)registers[REG_PC] != instruction_under_test) {
    write_text("native-runner: #DE outside the instruction under test at ");
    write_hex((uint32_t)registers[REG_PC]);
    write_text("\n");
    _exit(3);
  }
  uint8_t *record = (uint8_t *)(uintptr_t)(uint32_t)registers[REG_RECORD];
  uint32_t values[6] = {(uint32_t)registers[REG_A], (uint32_t)registers[REG_B], (uint32_t)registers[REG_C],
                        (uint32_t)registers[REG_D], (uint32_t)registers[REG_EFL], 1u /* 1 + vector 0 */};
  memcpy(record + OUT_EAX, values, sizeof values);
  registers[REG_PC] = (greg_t)resume_after_fault;
}

static void on_unexpected_fault(int signal_number, siginfo_t *info, void *context) {
  (void)info;
  ucontext_t *machine = (ucontext_t *)context;
  write_text("native-runner: unexpected signal ");
  write_hex((uint32_t)signal_number);
  write_text(" at eip ");
  write_hex((uint32_t)machine->uc_mcontext.gregs[REG_PC]);
  write_text(" in snippet ");
  write_hex(current_snippet);
  write_text("\n");
  _exit(4);
}

static uint8_t *read_whole_file(const char *path, size_t *length) {
  FILE *file = fopen(path, "rb");
  if (!file) {
    fprintf(stderr, "native-runner: cannot open %s\n", path);
    exit(2);
  }
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  /* 64-byte alignment keeps each record in one cache line: a locked misaligned operand never splits a line */
#if defined(__i386__)
  uint8_t *bytes = aligned_alloc(64, size > 0 ? ((size_t)size + 63) & ~(size_t)63 : 64);
#else
  uint8_t *bytes = mmap(NULL, size > 0 ? (size_t)size : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | LOW_MAPPING, -1, 0);
  if (bytes == MAP_FAILED) bytes = NULL;
#endif
  if (!bytes || fread(bytes, 1, (size_t)size, file) != (size_t)size) {
    fprintf(stderr, "native-runner: cannot read %s\n", path);
    exit(2);
  }
  fclose(file);
  *length = (size_t)size;
  return bytes;
}

static void install_handler(int signal_number, void (*handler)(int, siginfo_t *, void *)) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = handler;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  sigaction(signal_number, &action, NULL);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s IMAGE RECORDS_IN JOBS RECORDS_OUT\n", argv[0]);
    return 2;
  }
  size_t image_length, records_length, jobs_length;
  uint8_t *image_file = read_whole_file(argv[1], &image_length);
  uint8_t *records = read_whole_file(argv[2], &records_length);
  uint32_t *jobs = (uint32_t *)read_whole_file(argv[3], &jobs_length);

  uint8_t *image = mmap(NULL, image_length, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | LOW_MAPPING, -1, 0);
  if (image == MAP_FAILED) {
    perror("native-runner: mmap");
    return 2;
  }
  memcpy(image, image_file, image_length);
  uint32_t snippet_count;
  memcpy(&snippet_count, image, 4);
  const uint32_t *header = (const uint32_t *)(image + 4);
  if (4 + (size_t)snippet_count * SNIPPET_HEADER_WORDS * 4 > image_length) {
    fprintf(stderr, "native-runner: image header is larger than the image\n");
    return 2;
  }
  for (uint32_t i = 0; i < snippet_count; i++) {
    uint32_t exit_offset = header[i * SNIPPET_HEADER_WORDS + 3];
    if (exit_offset >= image_length || image[exit_offset] != 0xF4) {
      fprintf(stderr, "native-runner: snippet %u does not end in hlt\n", i);
      return 2;
    }
    image[exit_offset] = 0xC3; /* ret back to run_snippet */
  }

  install_handler(SIGFPE, on_divide_error);
  install_handler(SIGSEGV, on_unexpected_fault);
  install_handler(SIGILL, on_unexpected_fault);
  install_handler(SIGBUS, on_unexpected_fault);
  install_handler(SIGTRAP, on_unexpected_fault);

  size_t job_count = jobs_length / 12;
  for (size_t j = 0; j < job_count; j++) {
    uint32_t snippet = jobs[j * 3], first = jobs[j * 3 + 1], count = jobs[j * 3 + 2];
    if (snippet >= snippet_count || count == 0 || ((size_t)first + count) * RECORD_BYTES > records_length) {
      fprintf(stderr, "native-runner: job %zu is out of range\n", j);
      return 2;
    }
    const uint32_t *entry = header + snippet * SNIPPET_HEADER_WORDS;
    current_snippet = snippet;
    instruction_under_test = (uintptr_t)image + entry[1];
    resume_after_fault = (uintptr_t)image + entry[2];
    run_snippet((uintptr_t)image + entry[0], records + (size_t)first * RECORD_BYTES, count);
  }

  FILE *output = fopen(argv[4], "wb");
  if (!output || fwrite(records, 1, records_length, output) != records_length || fclose(output) != 0) {
    fprintf(stderr, "native-runner: cannot write %s\n", argv[4]);
    return 2;
  }
  return 0;
}
