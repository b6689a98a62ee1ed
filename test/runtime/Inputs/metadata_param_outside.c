/* Defect: the parameter's 16 bytes at offset 24 end past the 32-byte file. */
__attribute__((visibility("default"))) const char lathe_artifact_metadata[] =
    "lathe-artifact 3\n"
    "target cpu\n"
    "weights bound.weights 32\n"
    "param w f32 4 24\n"
    "state acc f32 4\n"
    "entry accumulate accumulate_entry 1 1 2\n"
    "input x f32 4\n"
    "bind param w\n"
    "bind state acc\n"
    "output y f32 4\n"
    "end\n";
