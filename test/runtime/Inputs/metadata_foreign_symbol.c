/* Names libc's malloc as a kernel; dlsym would find it in a dependency. */
__attribute__((visibility("default"))) const char lathe_artifact_metadata[] =
    "lathe-artifact 3\n"
    "target cpu\n"
    "kernel 0 malloc 3 0\n"
    "entry add add_entry 2 1\n"
    "input a f32 4,8\n"
    "input b f32 4,8\n"
    "output sum f32 4,8\n"
    "end\n";
