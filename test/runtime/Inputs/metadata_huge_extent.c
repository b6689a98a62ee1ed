/* An extent that overflows 64 bits. */
__attribute__((visibility("default"))) const char lathe_artifact_metadata[] =
    "lathe-artifact 3\n"
    "target cpu\n"
    "kernel 0 add_rows_kernel 3 32\n"
    "entry add add_entry 2 1\n"
    "input a f32 4,8\n"
    "input b f32 4,8\n"
    "output sum f32 4,99999999999999999999999\n"
    "end\n";
