/* Defect: the entry binds a state that no record declares. */
__attribute__((visibility("default"))) const char lathe_artifact_metadata[] =
    "lathe-artifact 3\n"
    "target cpu\n"
    "weights bound.weights 32\n"
    "param w f32 4 16\n"
    "entry accumulate accumulate_entry 1 1 2\n"
    "input x f32 4\n"
    "bind param w\n"
    "bind state acc\n"
    "output y f32 4\n"
    "end\n";
