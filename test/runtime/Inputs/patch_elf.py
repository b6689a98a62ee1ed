"""Writes a damaged copy of an ELF64 little-endian library.

usage: patch_elf.py IN OUT DAMAGE
DAMAGE is one of:
  machine      e_machine becomes 2 (SPARC)
  elf32        EI_CLASS becomes ELFCLASS32
  executable   e_type becomes ET_EXEC
  code-not-x   the executable PT_LOAD segment loses PF_X
  code-short   the executable PT_LOAD segment's p_filesz is halved
  tail         the last 8 bytes (inside the section header table) are cut
"""
import struct
import sys

PT_LOAD, PF_X = 1, 1

source, target, damage = sys.argv[1:4]
data = bytearray(open(source, "rb").read())


def code_segment_header():
    """Offset of the program header of the first executable PT_LOAD."""
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    for i in range(phnum):
        offset = phoff + i * phentsize
        p_type, p_flags = struct.unpack_from("<II", data, offset)
        if p_type == PT_LOAD and p_flags & PF_X:
            return offset
    sys.exit("no executable PT_LOAD segment")


if damage == "machine":
    struct.pack_into("<H", data, 18, 2)
elif damage == "elf32":
    data[4] = 1
elif damage == "executable":
    struct.pack_into("<H", data, 16, 2)
elif damage == "code-not-x":
    offset = code_segment_header()
    flags, = struct.unpack_from("<I", data, offset + 4)
    struct.pack_into("<I", data, offset + 4, flags & ~PF_X)
elif damage == "code-short":
    offset = code_segment_header()
    filesz, = struct.unpack_from("<Q", data, offset + 32)
    struct.pack_into("<Q", data, offset + 32, filesz // 2)
elif damage == "tail":
    data = data[:-8]
else:
    sys.exit("unknown damage " + damage)
open(target, "wb").write(data)
