/* Metadata without a terminating NUL: the runtime must stop at the end of the
 * symbol instead of reading whatever follows it. */
__attribute__((visibility("default"))) const char lathe_artifact_metadata[] = {
    'l', 'a', 't', 'h', 'e', '-', 'a', 'r', 't', 'i', 'f', 'a', 'c', 't'};
