/* An element type the runtime does not know, on line 6. */
__attribute__((visibility("default"))) const char lathe_artifact_metadata[] =
    "lathe-artifact 3\n"
    "target cpu\n"
    "kernel 0 add_rows_kernel 3 32\n"
    "entry add add_entry 2 1\n"
    "input a f32 4,8\n"
    "input b f17 4,8\n"
    "output sum f32 4,8\n"
    "end\n";
