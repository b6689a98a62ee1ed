/* A library with a parameter and a state: bound.so, with the 32-byte weights
 * file bound.weights beside it (w at byte 16). */
__attribute__((visibility("default"))) const char lathe_artifact_metadata[] =
    "lathe-artifact 3\n"
    "target cpu\n"
    "kernel 0 add_rows_kernel 3 32\n"
    "weights bound.weights 32\n"
    "param w f32 4 16\n"
    "state acc f32 4\n"
    "entry accumulate accumulate_entry 1 1 2\n"
    "input x f32 4\n"
    "bind param w\n"
    "bind state acc\n"
    "output y f32 4\n"
    "end\n";
