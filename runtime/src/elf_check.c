/*===- elf_check.c - Validating a model library before dlopen -------------===*
 *
 * dlopen trusts the file it maps: a truncated or corrupt file can crash the
 * process instead of failing. Every offset and size read here is checked
 * against the file before it is used, and the program headers (what the
 * loader uses) are cross-checked against the section headers (what the
 * linker wrote), so that a damaged header is an error rather than a crash.
 *
 * What this catches: truncation, foreign files, and damaged ELF, program or
 * section headers. What it does not: damage inside the dynamic section,
 * relocations or code, which the loader and the library trust; detecting
 * that needs a checksum of the whole file. Nor does it guard against hostile
 * files: loading a library runs its code.
 *===----------------------------------------------------------------------===*/
#include "elf_check.h"
#include "status.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#define HOST_MACHINE_NAME "x86-64"
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#define HOST_MACHINE_NAME "AArch64"
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_MACHINE EM_RISCV
#define HOST_MACHINE_NAME "RISC-V"
#elif defined(__powerpc64__)
#define HOST_MACHINE EM_PPC64
#define HOST_MACHINE_NAME "PowerPC64"
#else
#error "lathe runtime: unsupported host architecture"
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_ELF_DATA ELFDATA2LSB
#else
#define HOST_ELF_DATA ELFDATA2MSB
#endif

/* Header tables longer than these are rejected rather than walked. */
enum { max_program_headers = 256, max_section_count = 1 << 16 };

/* Addresses and sizes in a library's image stay below this (1 TiB), so sums
 * of two of them cannot overflow. */
#define MAX_IMAGE_ADDRESS ((uint64_t)1 << 40)

typedef struct elf_file {
  const char *path;
  int fd;
  uint64_t size; /* bytes */
  /* The PT_LOAD headers, in ascending address order. */
  Elf64_Phdr *segments;
  size_t segment_count;
} elf_file;

/* Reads exactly `size` bytes at `offset`. */
static lathe_status read_at(const elf_file *file, uint64_t offset, void *buffer,
                            size_t size, const char *what) {
  size_t done = 0;
  while (done < size) {
    ssize_t got = pread(file->fd, (char *)buffer + done, size - done,
                        (off_t)(offset + done));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return lathe_status_create("%s: cannot read %s: %s", file->path, what,
                                 strerror(errno));
    if (got == 0)
      return lathe_status_create("%s: file is truncated (reading %s)",
                                 file->path, what);
    done += (size_t)got;
  }
  return NULL;
}

/* Whether [offset, offset + count * entry_size) lies within the file. */
static bool range_in_file(const elf_file *file, uint64_t offset, uint64_t count,
                          uint64_t entry_size) {
  if (entry_size != 0 && count > UINT64_MAX / entry_size)
    return false;
  uint64_t length = count * entry_size;
  return offset <= file->size && length <= file->size - offset;
}

/* The loadable segment whose memory image holds [address, address + size),
 * or NULL. */
static const Elf64_Phdr *segment_holding(const elf_file *file, uint64_t address,
                                         uint64_t size) {
  if (address > MAX_IMAGE_ADDRESS || size > MAX_IMAGE_ADDRESS)
    return NULL;
  for (size_t i = 0; i < file->segment_count; ++i) {
    const Elf64_Phdr *segment = &file->segments[i];
    if (segment->p_vaddr <= address &&
        address + size <= segment->p_vaddr + segment->p_memsz)
      return segment;
  }
  return NULL;
}

/* Whether the bytes at file offset `offset` are the ones the segment maps
 * at `address`. */
static bool maps_consistently(const Elf64_Phdr *segment, uint64_t address,
                              uint64_t offset) {
  return offset >= segment->p_offset &&
         offset - segment->p_offset == address - segment->p_vaddr;
}

static lathe_status check_header(const elf_file *file,
                                 const Elf64_Ehdr *header) {
  const unsigned char *ident = header->e_ident;
  if (memcmp(ident, ELFMAG, SELFMAG) != 0)
    return lathe_status_create("%s: not an ELF file", file->path);
  if (ident[EI_CLASS] != ELFCLASS64)
    return lathe_status_create("%s: not a 64-bit ELF file", file->path);
  if (ident[EI_DATA] != HOST_ELF_DATA)
    return lathe_status_create("%s: ELF byte order differs from the host's",
                               file->path);
  if (ident[EI_VERSION] != EV_CURRENT || header->e_version != EV_CURRENT)
    return lathe_status_create("%s: unknown ELF version", file->path);
  if (header->e_type != ET_DYN)
    return lathe_status_create("%s: not an ELF shared library (e_type %u)",
                               file->path, (unsigned)header->e_type);
  if (header->e_machine != HOST_MACHINE)
    return lathe_status_create(
        "%s: ELF machine type %u does not match the host (%s)", file->path,
        (unsigned)header->e_machine, HOST_MACHINE_NAME);
  if (header->e_ehsize < sizeof(Elf64_Ehdr))
    return lathe_status_create("%s: ELF header size %u is too small",
                               file->path, (unsigned)header->e_ehsize);
  return NULL;
}

/* Checks one PT_LOAD header and appends it to file->segments. */
static lathe_status add_load_segment(elf_file *file, unsigned index,
                                     const Elf64_Phdr *segment) {
  if (!range_in_file(file, segment->p_offset, segment->p_filesz, 1))
    return lathe_status_create(
        "%s: loadable segment %u (offset %" PRIu64 ", %" PRIu64
        " bytes) extends past the end of the file (file is truncated)",
        file->path, index, (uint64_t)segment->p_offset,
        (uint64_t)segment->p_filesz);
  if (segment->p_vaddr > MAX_IMAGE_ADDRESS ||
      segment->p_memsz > MAX_IMAGE_ADDRESS ||
      segment->p_filesz > segment->p_memsz)
    return lathe_status_create(
        "%s: loadable segment %u has an implausible address or size",
        file->path, index);
  if (!(segment->p_flags & PF_R) ||
      (segment->p_flags & ~(Elf64_Word)(PF_R | PF_W | PF_X)) != 0)
    return lathe_status_create(
        "%s: loadable segment %u has unexpected permissions 0x%x", file->path,
        index, (unsigned)segment->p_flags);
  uint64_t align = segment->p_align;
  if (align > 1 && ((align & (align - 1)) != 0 ||
                    (segment->p_vaddr - segment->p_offset) % align != 0))
    return lathe_status_create("%s: loadable segment %u is misaligned",
                               file->path, index);
  if (file->segment_count > 0) {
    const Elf64_Phdr *previous = &file->segments[file->segment_count - 1];
    if (segment->p_vaddr < previous->p_vaddr + previous->p_memsz)
      return lathe_status_create(
          "%s: loadable segment %u overlaps or precedes the one before it",
          file->path, index);
  }
  file->segments[file->segment_count++] = *segment;
  return NULL;
}

static lathe_status check_segments(elf_file *file, const Elf64_Ehdr *header) {
  if (header->e_phnum == 0 || header->e_phnum > max_program_headers)
    return lathe_status_create("%s: implausible program header count %u",
                               file->path, (unsigned)header->e_phnum);
  if (header->e_phentsize != sizeof(Elf64_Phdr))
    return lathe_status_create("%s: unexpected program header size %u",
                               file->path, (unsigned)header->e_phentsize);
  if (!range_in_file(file, header->e_phoff, header->e_phnum,
                     sizeof(Elf64_Phdr)))
    return lathe_status_create(
        "%s: program header table extends past the end of the file "
        "(file is truncated or corrupt)",
        file->path);
  file->segments = calloc(header->e_phnum, sizeof(Elf64_Phdr));
  if (!file->segments)
    return lathe_status_create("%s: out of memory", file->path);

  Elf64_Phdr dynamic = {0};
  unsigned dynamic_count = 0;
  for (unsigned i = 0; i < header->e_phnum; ++i) {
    Elf64_Phdr segment;
    lathe_status status =
        read_at(file, header->e_phoff + (uint64_t)i * sizeof(segment), &segment,
                sizeof(segment), "a program header");
    if (!status && segment.p_type == PT_LOAD)
      status = add_load_segment(file, i, &segment);
    if (status)
      return status;
    if (segment.p_type == PT_DYNAMIC) {
      dynamic = segment;
      ++dynamic_count;
    }
  }
  if (file->segment_count == 0)
    return lathe_status_create("%s: ELF file has no loadable segments",
                               file->path);
  if (dynamic_count != 1)
    return lathe_status_create(
        "%s: ELF file has %u dynamic segments (expected one)", file->path,
        dynamic_count);
  const Elf64_Phdr *holder =
      segment_holding(file, dynamic.p_vaddr, dynamic.p_filesz);
  if (!holder || dynamic.p_filesz < sizeof(Elf64_Dyn) ||
      dynamic.p_vaddr + dynamic.p_filesz > holder->p_vaddr + holder->p_filesz ||
      !maps_consistently(holder, dynamic.p_vaddr, dynamic.p_offset) ||
      !range_in_file(file, dynamic.p_offset, dynamic.p_filesz, 1))
    return lathe_status_create(
        "%s: the dynamic segment lies outside the loaded image", file->path);
  return NULL;
}

/* Checks that an allocated section lies in a loadable segment that maps it
 * from the right file offset with the permissions it needs. */
static lathe_status check_allocated_section(const elf_file *file,
                                            uint64_t index,
                                            const Elf64_Shdr *section) {
  const Elf64_Phdr *segment =
      segment_holding(file, section->sh_addr, section->sh_size);
  const char *problem = NULL;
  if (!segment)
    problem = "lies outside every loadable segment";
  else if (section->sh_type != SHT_NOBITS &&
           (!maps_consistently(segment, section->sh_addr, section->sh_offset) ||
            section->sh_addr + section->sh_size >
                segment->p_vaddr + segment->p_filesz))
    problem = "is not mapped from its place in the file";
  else if ((section->sh_flags & SHF_EXECINSTR) && !(segment->p_flags & PF_X))
    problem = "holds code in a non-executable segment";
  else if ((section->sh_flags & SHF_WRITE) && !(segment->p_flags & PF_W))
    problem = "is writable data in a read-only segment";
  if (problem)
    return lathe_status_create("%s: section %" PRIu64
                               " %s (headers are corrupt)",
                               file->path, index, problem);
  return NULL;
}

static lathe_status check_sections(const elf_file *file,
                                   const Elf64_Ehdr *header) {
  if (header->e_shoff == 0)
    return lathe_status_create("%s: ELF file has no section header table",
                               file->path);
  if (header->e_shentsize != sizeof(Elf64_Shdr))
    return lathe_status_create("%s: unexpected section header size %u",
                               file->path, (unsigned)header->e_shentsize);
  if (!range_in_file(file, header->e_shoff, 1, sizeof(Elf64_Shdr)))
    return lathe_status_create("%s: section header table (offset %" PRIu64
                               ") lies past the end of the file (%" PRIu64
                               " bytes; file is truncated)",
                               file->path, (uint64_t)header->e_shoff,
                               file->size);

  /* With more than SHN_LORESERVE sections, e_shnum is 0 and section 0 holds
   * the count. */
  uint64_t section_count = header->e_shnum;
  if (section_count == 0) {
    Elf64_Shdr first;
    lathe_status status = read_at(file, header->e_shoff, &first, sizeof(first),
                                  "the first section header");
    if (status)
      return status;
    section_count = first.sh_size;
  }
  if (section_count == 0 || section_count > max_section_count)
    return lathe_status_create("%s: implausible section count %" PRIu64,
                               file->path, section_count);
  if (!range_in_file(file, header->e_shoff, section_count, sizeof(Elf64_Shdr)))
    return lathe_status_create(
        "%s: section header table (%" PRIu64 " entries at offset %" PRIu64
        ") extends past the end of the file (%" PRIu64
        " bytes; file is truncated)",
        file->path, section_count, (uint64_t)header->e_shoff, file->size);

  for (uint64_t i = 0; i < section_count; ++i) {
    Elf64_Shdr section;
    lathe_status status =
        read_at(file, header->e_shoff + i * sizeof(section), &section,
                sizeof(section), "a section header");
    if (status)
      return status;
    if (section.sh_type != SHT_NOBITS && section.sh_type != SHT_NULL &&
        !range_in_file(file, section.sh_offset, section.sh_size, 1))
      return lathe_status_create(
          "%s: section %" PRIu64 " (offset %" PRIu64 ", %" PRIu64
          " bytes) extends past the end of the file (file is truncated)",
          file->path, i, (uint64_t)section.sh_offset,
          (uint64_t)section.sh_size);
    /* Thread-local bss takes no room in the image. */
    bool tls_bss =
        (section.sh_flags & SHF_TLS) && section.sh_type == SHT_NOBITS;
    if ((section.sh_flags & SHF_ALLOC) && section.sh_size > 0 && !tls_bss) {
      status = check_allocated_section(file, i, &section);
      if (status)
        return status;
    }
  }
  return NULL;
}

lathe_status lathe_elf_check(const char *path) {
  /* O_NONBLOCK: opening a FIFO must not hang; fstat rejects it below. */
  elf_file file = {.path = path, .fd = -1};
  file.fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (file.fd < 0)
    return lathe_status_create("%s: cannot open: %s", path, strerror(errno));

  lathe_status status = NULL;
  struct stat info;
  Elf64_Ehdr header;
  if (fstat(file.fd, &info) != 0)
    status = lathe_status_create("%s: cannot stat: %s", path, strerror(errno));
  else if (!S_ISREG(info.st_mode))
    status = lathe_status_create("%s: not a regular file", path);
  else if ((uint64_t)info.st_size < sizeof(Elf64_Ehdr))
    status = lathe_status_create("%s: file is too small (%" PRIu64
                                 " bytes) to be an ELF library",
                                 path, (uint64_t)info.st_size);
  if (!status) {
    file.size = (uint64_t)info.st_size;
    status = read_at(&file, 0, &header, sizeof(header), "the ELF header");
  }
  if (!status)
    status = check_header(&file, &header);
  if (!status)
    status = check_segments(&file, &header);
  if (!status)
    status = check_sections(&file, &header);
  free(file.segments);
  close(file.fd);
  return status;
}
